from bihuan_planning.api import directory, directory_excel, targets

routers = [directory.router, directory_excel.router, targets.router]
