from bihuan_planning.api import adjustments, directory, directory_excel, queries, targets

# targets last: its POST /targets/{id}/{action} would otherwise shadow /targets/{id}/adjustments.
routers = [directory.router, directory_excel.router, queries.router, adjustments.router, targets.router]
