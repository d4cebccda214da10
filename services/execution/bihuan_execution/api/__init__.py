from bihuan_execution.api import contributions, evidence, progress

routers = [progress.router, evidence.router, contributions.router]
