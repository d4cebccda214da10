from bihuan_execution.api import city_tasks, contributions, cooperation, evidence, lags, matters, progress, reports

routers = [progress.router, evidence.router, contributions.router, lags.router, matters.router, cooperation.router,
           reports.router, city_tasks.router]
