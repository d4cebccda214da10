from bihuan_supervision.api import dashboards, feeds, hotline, metrics, orders, targets, warnings

routers = [targets.router, feeds.router, hotline.router, metrics.router, warnings.router, orders.router,
           dashboards.router]
