from bihuan_planning.api import targets

routers = [targets.router]
