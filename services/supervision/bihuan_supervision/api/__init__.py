from bihuan_supervision.api import feeds, hotline, metrics, targets, warnings

routers = [targets.router, feeds.router, hotline.router, metrics.router, warnings.router]
