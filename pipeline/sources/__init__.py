"""Where contracts come from besides the command line: a watched S3-compatible bucket, a watched
folder, HTTP uploads and batch manifests. Each registers through `pipeline.ingest` and queues
through `pipeline.tasks`, like `contractflow run`."""
