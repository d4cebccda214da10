from bihuan_assessment.api import assessments, completion, entries, evaluations, publication, reports, schemes

routers = [completion.router, schemes.router, evaluations.router, entries.router, assessments.router,
           publication.router, reports.router]
