from bihuan_execution.api import progress

routers = [progress.router]
