"""gunicorn settings shared by the Procfile's web process and ``make run``.

Address and worker count stay on the command line (they differ between the two); what is set here is
how requests are logged: to standard output, with ID numbers, phones, searches and codes masked
(Nghị định 13/2023/NĐ-CP), see ``postal_gateway/integration/access_log.py``.
"""
logger_class = "postal_gateway.integration.access_log.MaskingAccessLogger"
accesslog = "-"
