"""``digits-serve``: a page and a JSON API that read handwritten digits on the device.

Modules, one job each: :mod:`~edge_runtime.serve.uploads` (request bodies →
images, with limits), :mod:`~edge_runtime.serve.api` (the answers, and the
classifier pool that keeps the non-thread-safe classifier to one thread at a
time), :mod:`~edge_runtime.serve.live` (the camera/video thread),
:mod:`~edge_runtime.serve.httpd` (HTTP on the standard library) and
:mod:`~edge_runtime.serve.cli` (the command). Never imports TensorFlow.
"""
