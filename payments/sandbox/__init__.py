"""A local VNPay-compatible gateway, served by the app itself (default in `make run` and tests).

It speaks the same protocol as sandbox.vnpayment.vn: vpcpay.html pay page (outcome picked by
hand), signed redirect to the return URL, signed IPN calls with injectable faults, the merchant API
(querydr, refund) and a daily transaction file. Switching to VNPay's own gateway is configuration only.
"""
