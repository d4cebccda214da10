from bihuan_supervision.api import feeds, hotline, metrics, targets

routers = [targets.router, feeds.router, hotline.router, metrics.router]
