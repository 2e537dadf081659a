"""Models served as Ray Serve deployments (models.yaml `replicas` or `autoscaling`, and
`defaults.cluster`): one deployment per model whose replicas each wrap the model's local engine,
and a proxy engine in the pool that calls them through a DeploymentHandle.

Ray is an optional extra (`pip install "openvino-ui[cluster]"`): nothing here is imported unless a
model asks for replicas, and only modules of this package import `ray`.

  runtime.py     connect to (or start) Ray once per process, as defaults.cluster says
  deployment.py  the replica: builds and loads the local engine, serves its typed methods
  handle.py      deploy / call / stream / delete one model's application
  engine.py      the proxy engines the pool holds, one per task
  errors.py      our errors across the process boundary
  status.py      replicas, their nodes and states (for the Models tab and /models)
  app.py         the same application built from models.yaml by Serve's tools (a RayService)
"""
