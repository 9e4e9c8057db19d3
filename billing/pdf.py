"""The invoice PDF (fpdf2), set in Noto Sans SC shipped by the pylopdf-fonts-zh-cn package."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone
from fpdf import FPDF
from pylopdf_fonts_zh_cn import sans_path

from billing.models import Invoice
from console.formatting import yuan

# fpdf2 subsets the font with fontTools, which logs every step at INFO: keep the worker's log readable.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def invoice_pdf(*, invoice: Invoice, number: str, issued_at: datetime) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format=(148, 210))  # A5
    pdf.set_title(f"Invoice {number}")
    pdf.set_author("Ronghe")
    pdf.add_page()
    pdf.add_font("noto", "", str(sans_path()))
    pdf.set_font("noto", size=16)
    pdf.cell(0, 12, "发票 INVOICE", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", size=10)
    local = timezone.localtime(issued_at)
    rows = [
        ("发票号码 No.", number),
        ("开票日期 Date", f"{local:%Y-%m-%d}"),
        ("购买方 Buyer", invoice.title),
        ("纳税人识别号 Tax ID", invoice.tax_id),
        ("AppID", str(invoice.account.app_id)),
        ("项目 Item", "人脸融合服务费 Face fusion service"),
        ("金额 Amount", f"¥{yuan(invoice.amount_fen)}"),
        ("销售方 Seller", "融合 Ronghe Face Fusion"),
    ]
    for label, value in rows:
        pdf.cell(45, 9, label, border=1)
        pdf.multi_cell(0, 9, value, border=1, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
