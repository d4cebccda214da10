from bihuan_execution.api import contributions, cooperation, evidence, lags, matters, progress, reports

routers = [progress.router, evidence.router, contributions.router, lags.router, matters.router, cooperation.router,
           reports.router]
