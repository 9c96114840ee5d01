"""A local Zalo stand-in, served by the app itself when ZALO_SANDBOX is on (`make run`, the tests).

It speaks Zalo's protocol at Zalo's paths under /zalo/sandbox: the OAuth v4 token refresh, the ZNS template
endpoint and the OA message endpoint. Its phone page shows the notices it accepted, as a citizen's Zalo would,
and its OA chat posts signed follower messages to our webhook. Faults can be switched on (token expired, quota
exceeded, template not approved, no Zalo account, a lost answer; duplicated, retried, forged or stale webhook
events). Switching to Zalo itself is configuration only (ZALO_APP_ID and its secrets; the sandbox is then refused).
"""
