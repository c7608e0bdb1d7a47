"""The review web UI: server-rendered pages over `service`, signed-cookie sessions, CSRF on every POST."""

# No `from __future__ import annotations`: FastAPI reads the dependency annotations of local aliases at runtime.

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from pipeline.flow import Context
from pipeline.review import service
from pipeline.review.auth import authenticate, session_secret
from pipeline.review.kinds import ReviewKind
from pipeline.settings import Settings

HERE = Path(__file__).resolve().parent
SESSION_HOURS = 10
# A document id is a sha256: anything else in the path (a traversal, say) never reaches the store.
DocumentId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")]


class SignInRequired(Exception):
    pass


def create_app(settings: Settings) -> FastAPI:
    ctx = Context(settings)
    app = FastAPI(title="contractflow review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="contractflow_review",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return str(request.session["csrf"])

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        context |= {"user": request.session.get("user"), "csrf": csrf_token(request)}
        context["flash"] = request.session.pop("flash", None)
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def reviewer(request: Request) -> str:
        user = request.session.get("user")
        if user not in settings.review_users:
            raise SignInRequired
        return str(user)

    async def checked_form(request: Request) -> dict[str, str]:
        """The POSTed form, refused unless it carries this session's CSRF token."""
        form = await request.form()
        expected = request.session.get("csrf")
        if not expected or not hmac.compare_digest(str(form.get("csrf", "")), str(expected)):
            raise HTTPException(403, "This form is stale or came from another site: reload the page and try again.")
        return {key: str(value) for key, value in form.items()}

    User = Annotated[str, Depends(reviewer)]
    CheckedForm = Annotated[dict[str, str], Depends(checked_form)]

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(service.ReviewError)
    async def _refused(request: Request, exc: service.ReviewError) -> Response:
        status_code = 404 if isinstance(exc, service.NotFound) else 409
        return page(request, "error.html", status_code=status_code, message=str(exc))

    @app.get("/login")
    def login_form(request: Request, next: str = "/") -> Response:
        return page(request, "login.html", next=next, error=None, configured=bool(settings.review_users))

    @app.post("/login")
    def login(
        request: Request, form: CheckedForm, username: Annotated[str, Form()], password: Annotated[str, Form()]
    ) -> Response:
        target = form.get("next", "/")
        if not authenticate(settings, username, password):
            context = {"next": target, "error": "Unknown user or wrong password.", "configured": True}
            return page(request, "login.html", status_code=401, **context)
        request.session.clear()  # a new session on sign-in: no fixation
        request.session["user"] = username
        safe_target = target if target.startswith("/") and not target.startswith("//") else "/"
        return RedirectResponse(safe_target, status_code=303)

    @app.post("/logout")
    def logout(request: Request, form: CheckedForm) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/")
    def queue_page(request: Request, user: User, kind: str = "", state: str = "open", q: str = "") -> Response:
        with ctx.db() as db:
            entries = service.queue(db, kind=kind or None, state=state, text=q or None)
        filters = {"kind": kind, "state": state, "q": q}
        return page(
            request, "queue.html", entries=entries, filters=filters, kinds=list(ReviewKind), states=service.STATES
        )

    @app.get("/documents/{document_id}")
    def document_page(request: Request, user: User, document_id: DocumentId) -> Response:
        with ctx.db() as db:
            view = service.review_view(db, document_id)
        return page(request, "document.html", view=view, errors=[], entered={})

    @app.post("/documents/{document_id}/approve")
    def approve(request: Request, user: User, form: CheckedForm, document_id: DocumentId) -> Response:
        changes = {key[2:]: value for key, value in form.items() if key.startswith("f.")}
        comment = form.get("comment", "").strip() or None
        try:
            errors = service.approve(ctx, document_id, user, changes, comment)
        except service.ReviewError as exc:
            errors = [str(exc)]
        if errors:
            with ctx.db() as db:
                view = service.review_view(db, document_id)
            return page(request, "document.html", status_code=422, view=view, errors=errors, entered=changes)
        request.session["flash"] = "Approved: the contract went on to posting."
        return RedirectResponse(f"/documents/{document_id}", status_code=303)

    @app.post("/documents/{document_id}/reject")
    def reject(request: Request, user: User, form: CheckedForm, document_id: DocumentId) -> Response:
        service.reject(ctx, document_id, user, form.get("comment", ""))
        request.session["flash"] = "Rejected."
        return RedirectResponse(f"/documents/{document_id}", status_code=303)

    @app.get("/documents/{document_id}/pages/{number}.png")
    def page_image(user: User, document_id: DocumentId, number: int) -> Response:
        with ctx.db() as db:
            document = service.get_document(db, document_id)
        png = service.page_png(settings, document, number)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/documents/{document_id}/file")
    def original_file(user: User, document_id: DocumentId) -> Response:
        with ctx.db() as db:
            document = service.get_document(db, document_id)
        return FileResponse(service.stored_file(settings, document), filename=document.filename)

    return app
