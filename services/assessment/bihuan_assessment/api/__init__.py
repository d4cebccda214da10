from bihuan_assessment.api import completion

routers = [completion.router]
