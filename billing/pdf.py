"""The invoice (发票) PDF (fpdf2), laid out like an electronic VAT invoice: buyer and seller, the
service line with amount without tax, tax rate and tax, the total in figures and in capital
numerals, and a remark naming what it covers. Set in Noto Sans SC (pylopdf-fonts-zh-cn, OFL)."""

from __future__ import annotations

import logging

from django.utils import timezone
from fpdf import FPDF
from pylopdf_fonts_zh_cn import sans_path

from billing.amounts import rmb_capitals
from billing.models import Invoice, InvoiceKind, InvoiceLine
from console.formatting import yuan

# fpdf2 subsets the font with fontTools, which logs every step at INFO: keep the worker's log readable.
logging.getLogger("fontTools").setLevel(logging.WARNING)

WIDTH, HEIGHT = 240, 130  # mm, about the size of an electronic invoice
MARGIN = 10
INNER = WIDTH - 2 * MARGIN
RED = (150, 40, 30)


def _rate(bp: int) -> str:
    return f"{bp / 100:.2f}".rstrip("0").rstrip(".") + "%"


def _party(pdf: FPDF, x: float, y: float, w: float, title: str, rows: list[tuple[str, str]]) -> float:
    """A buyer or seller box: a narrow title column and label/value rows. Returns its bottom."""
    row_h = 6.5
    h = max(row_h * len(rows), 26)
    pdf.rect(x, y, w, h)
    pdf.set_xy(x, y)
    pdf.multi_cell(8, h / len(title), "\n".join(title), border="R", align="C")
    for i, (label, value) in enumerate(rows):
        pdf.set_xy(x + 9, y + i * row_h + 0.5)
        pdf.set_font("noto", size=7.5)
        pdf.cell(40, row_h - 1, label)
        _fit(pdf, value, w - 51, 8.5)
        pdf.cell(w - 51, row_h - 1, value)
    return y + h


def _fit(pdf: FPDF, text: str, width: float, size: float) -> None:
    """Set the largest font size up to ``size`` at which ``text`` fits in ``width`` (long addresses)."""
    pdf.set_font("noto", size=size)
    while size > 5 and pdf.get_string_width(text) > width:
        size -= 0.5
        pdf.set_font("noto", size=size)


def _covered(line: InvoiceLine) -> str:
    """An order's number, or a bill's month."""
    if line.order is not None:
        return line.order.number
    return f"{line.bill.month:%Y-%m} 后付费账单" if line.bill is not None else ""


def invoice_pdf(*, invoice: Invoice, lines: list[InvoiceLine]) -> bytes:
    seller = invoice.seller or {}
    special = invoice.kind == InvoiceKind.SPECIAL
    pdf = FPDF(orientation="P", unit="mm", format=(WIDTH, HEIGHT))
    pdf.set_title(f"发票 {invoice.number}")
    pdf.set_author(seller.get("name") or "Ronghe")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN)
    pdf.add_page()
    pdf.add_font("noto", "", str(sans_path()))
    pdf.set_text_color(*RED)
    pdf.set_draw_color(*RED)

    title = "电子发票（增值税专用发票）" if special else "电子发票（普通发票）"
    pdf.set_font("noto", size=15)
    pdf.set_xy(MARGIN, MARGIN)
    pdf.cell(INNER, 9, title, align="C")
    pdf.set_font("noto", size=7)
    pdf.set_xy(MARGIN, MARGIN + 8)
    pdf.cell(INNER, 4, "VAT special invoice" if special else "VAT general invoice", align="C")
    issued = timezone.localtime(invoice.issued_at) if invoice.issued_at else None
    pdf.set_font("noto", size=8.5)
    pdf.set_xy(WIDTH - MARGIN - 62, MARGIN + 1)
    pdf.cell(62, 5, f"发票号码 No.：{invoice.number}")
    pdf.set_xy(WIDTH - MARGIN - 62, MARGIN + 6)
    pdf.cell(62, 5, f"开票日期 Date：{issued:%Y年%m月%d日}" if issued else "")

    top = MARGIN + 15
    half = INNER / 2
    buyer_rows = [("名称 Name：", invoice.title),
                  ("统一社会信用代码/纳税人识别号：", invoice.tax_id)]
    if special:
        buyer_rows += [("地址、电话 Address, phone：", f"{invoice.buyer_address} {invoice.buyer_phone}".strip()),
                       ("开户行及账号 Bank, account：", f"{invoice.buyer_bank} {invoice.buyer_bank_account}".strip())]
    seller_rows = [("名称 Name：", seller.get("name", "")),
                   ("统一社会信用代码/纳税人识别号：", seller.get("tax_id", ""))]
    if special:
        seller_rows += [("地址、电话 Address, phone：",
                         f"{seller.get('address', '')} {seller.get('phone', '')}".strip()),
                        ("开户行及账号 Bank, account：",
                         f"{seller.get('bank_name', '')} {seller.get('bank_account', '')}".strip())]
    bottom = max(_party(pdf, MARGIN, top, half, "购买方信息", buyer_rows),
                 _party(pdf, MARGIN + half, top, half, "销售方信息", seller_rows))

    # The service line: 项目名称 规格型号 单位 数量 单价 金额 税率/征收率 税额
    cols = [(62, "项目名称"), (18, "规格型号"), (12, "单位"), (14, "数量"), (26, "单价"), (30, "金额"),
            (20, "税率/征收率"), (INNER - 182, "税额")]
    y = bottom
    pdf.set_xy(MARGIN, y)
    pdf.set_font("noto", size=8)
    for w, head in cols:
        pdf.cell(w, 7, head, border="LTR", align="C")
    net, tax, rate = invoice.net_fen or 0, invoice.tax_fen or 0, invoice.tax_rate_bp or 0
    values = [seller.get("item_name", "人脸融合服务费"), "", "项", "1", yuan(net), yuan(net), _rate(rate), yuan(tax)]
    pdf.set_xy(MARGIN, y + 7)
    pdf.set_text_color(0, 0, 0)
    for (w, _head), value in zip(cols, values, strict=True):
        pdf.cell(w, 12, value, border="LR", align="L" if _head == "项目名称" else "R")
    pdf.set_text_color(*RED)
    pdf.set_xy(MARGIN, y + 19)
    pdf.cell(sum(w for w, _h in cols[:5]), 7, "合  计 Total", border=1, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.cell(cols[5][0], 7, f"¥{yuan(net)}", border=1, align="R")
    pdf.cell(cols[6][0], 7, "", border=1)
    pdf.cell(cols[7][0], 7, f"¥{yuan(tax)}", border=1, align="R")

    # 价税合计: in capitals and in figures.
    y += 26
    pdf.set_text_color(*RED)
    pdf.set_xy(MARGIN, y)
    pdf.cell(40, 9, "价税合计（大写）", border=1, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("noto", size=9.5)
    pdf.cell(INNER - 100, 9, f"ⓧ {rmb_capitals(invoice.amount_fen)}", border="TB")
    pdf.set_text_color(*RED)
    pdf.set_font("noto", size=8)
    pdf.cell(20, 9, "（小写）", border="TB", align="R")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("noto", size=9.5)
    pdf.cell(40, 9, f"¥{yuan(invoice.amount_fen)}", border="TBR")

    # 备注: whom and what it covers.
    y += 9
    covered = [_covered(line) for line in lines]
    remark = f"AppID {invoice.account.app_id}；税率 {_rate(rate)}，税额 ¥{yuan(tax)}；含：" + "、".join(covered)
    pdf.set_text_color(*RED)
    pdf.set_font("noto", size=8)
    pdf.rect(MARGIN, y, INNER, 18)
    pdf.set_xy(MARGIN, y)
    pdf.cell(20, 18, "备注", border="R", align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(MARGIN + 21, y + 1)
    pdf.multi_cell(INNER - 22, 4, remark[:400], new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*RED)
    pdf.set_xy(MARGIN, y + 21)
    pdf.cell(INNER, 4, "开票人 Issuer：" + (invoice.issued_by.get_username() if invoice.issued_by else ""))
    return bytes(pdf.output())
