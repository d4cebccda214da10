from bihuan_supervision.api import targets

routers = [targets.router]
