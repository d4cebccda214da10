from bihuan_supervision.api import feeds, hotline, targets

routers = [targets.router, feeds.router, hotline.router]
