from bihuan_supervision.api import (dashboards, feeds, hotline, matters, metrics, orders, targets, warning_inbox,
                                    warnings, webhooks)

routers = [targets.router, feeds.router, hotline.router, metrics.router, warning_inbox.router, warnings.router,
           orders.router, matters.router, dashboards.router, webhooks.router]
