from bihuan_supervision.api import dashboards, feeds, hotline, metrics, orders, targets, warnings, webhooks

routers = [targets.router, feeds.router, hotline.router, metrics.router, warnings.router, orders.router,
           dashboards.router, webhooks.router]
