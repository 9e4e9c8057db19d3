from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("buy/", views.buy, name="buy"),
    path("mode/", views.mode, name="mode"),
    path("orders/", views.orders, name="orders"),
    path("bills/", views.bills, name="bills"),
    path("bills/<int:bill_id>/", views.bill_detail, name="bill_detail"),
    path("bills/<int:bill_id>/pay/", views.bill_pay, name="bill_pay"),
    path("ledger/", views.ledger, name="ledger"),
    path("usage/", views.usage, name="usage"),
    path("usage/data/", views.usage_data, name="usage_data"),
    path("usage/export/", views.usage_csv, name="usage_csv"),
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("payments/", views.payments, name="payments"),
    path("payments/<str:number>/voucher/", views.payment_voucher, name="payment_voucher"),
    path("ops/accounts/<int:account_id>/", views.operator_account, name="operator_account"),
    path("ops/accounts/<int:account_id>/ultra/", views.operator_ultra, name="operator_ultra"),
    path("ops/accounts/<int:account_id>/entries/<int:entry_id>/reverse/", views.operator_reverse,
         name="operator_reverse"),
    path("ops/payments/", views.operator_payments, name="operator_payments"),
    path("ops/payments/<str:number>/confirm/", views.operator_payment_confirm, name="operator_payment_confirm"),
    path("ops/payments/<str:number>/reject/", views.operator_payment_reject, name="operator_payment_reject"),
    path("ops/payments/<str:number>/voucher/", views.operator_payment_voucher, name="operator_payment_voucher"),
    path("ops/seller/", views.operator_seller, name="operator_seller"),
    path("ops/prices/", views.operator_prices, name="operator_prices"),
    path("ops/invoices/", views.operator_invoices, name="operator_invoices"),
    path("ops/invoices/<int:invoice_id>/issue/", views.operator_invoice_issue, name="operator_invoice_issue"),
    path("ops/invoices/<int:invoice_id>/reject/", views.operator_invoice_reject, name="operator_invoice_reject"),
    path("ops/invoices/<int:invoice_id>/pdf/", views.operator_invoice_pdf, name="operator_invoice_pdf"),
]
