from bihuan_planning.api import (adjustments, book_excel, books, city_tasks, contracts, directory, directory_excel,
                                 proposals, queries, targets)

# targets last: its POST /targets/{id}/{action} would otherwise shadow /targets/{id}/adjustments and /proposal.
routers = [directory.router, directory_excel.router, book_excel.router, books.router, queries.router, contracts.router,
           adjustments.router, proposals.router, city_tasks.router, targets.router]
