"""Orders learn what one unit held (so their names follow the reader's language), and the invoice
links of orders and bills move to invoice lines, where the database keeps each amount on one live
invoice."""

from django.db import migrations


def forward(apps, schema_editor):
    Order = apps.get_model("billing", "Order")
    Bill = apps.get_model("billing", "Bill")
    PriceItem = apps.get_model("billing", "PriceItem")
    InvoiceLine = apps.get_model("billing", "InvoiceLine")
    units = dict(PriceItem.objects.values_list("code", "quantity"))
    for order in Order.objects.filter(unit_quantity=0).iterator():
        if order.price_code in units:
            Order.objects.filter(id=order.id).update(unit_quantity=units[order.price_code])
    for order in Order.objects.filter(invoice__isnull=False).iterator():
        InvoiceLine.objects.create(invoice_id=order.invoice_id, order_id=order.id, amount_fen=order.amount_fen)
    for bill in Bill.objects.filter(invoice__isnull=False).iterator():
        InvoiceLine.objects.create(invoice_id=bill.invoice_id, bill_id=bill.id, amount_fen=bill.amount_fen)


def backward(apps, schema_editor):
    Order = apps.get_model("billing", "Order")
    Bill = apps.get_model("billing", "Bill")
    InvoiceLine = apps.get_model("billing", "InvoiceLine")
    for line in InvoiceLine.objects.filter(released=False).iterator():
        if line.order_id:
            Order.objects.filter(id=line.order_id).update(invoice_id=line.invoice_id)
        else:
            Bill.objects.filter(id=line.bill_id).update(invoice_id=line.invoice_id)


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_invoice_lines_seller_payments")]
    operations = [migrations.RunPython(forward, backward)]
