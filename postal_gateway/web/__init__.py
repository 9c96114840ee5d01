"""The web edge every area shares: log-in and role guards, error pages and problem+json, security
headers, throttles, safe redirects, and the home page with its menu."""
