"""Structured kinds: CRM contact records, web lead forms, invoices."""

from __future__ import annotations

from resguardo.synth.builder import DocBuilder
from resguardo.synth.context import Ctx

__all__ = ["crm_contact", "invoice", "lead_form"]


def crm_contact(c: Ctx, b: DocBuilder) -> None:
    """A CRM contact record, as ``field: value`` lines or as a JSON object."""
    p = c.person()
    dob, _ = c.birth()
    fields = [
        (c.t("nombre", "first_name"), c.given(p)),
        (c.t("apellidos", "last_name"), c.surname(p)),
        ("email", c.email(p)),
        (c.t("telefono", "phone"), c.phone()),
        (c.t("dni", "id_number"), c.national_id()),
        (c.t("direccion", "address"), c.address()),
        (c.t("fecha_nacimiento", "date_of_birth"), dob),
        (c.t("empresa", "company"), c.company()),
        (c.t("ultimo_pedido", "last_order"), c.order()),
    ]
    if c.chance(0.3):
        fields.append(("iban", c.iban()))
    if c.chance(0.5):
        b.add("{\n")
        for i, (key, value) in enumerate(fields):
            sep = "," if i < len(fields) - 1 else ""
            b.line('  "{key}": "{value}"' + sep, key=key, value=value)
        b.add("}\n")
        return
    b.line(c.t("Ficha de contacto", "Contact record"))
    for key, value in fields:
        b.line("{key}: {value}", key=key.replace("_", " ").capitalize(), value=value)


def lead_form(c: Ctx, b: DocBuilder) -> None:
    """A website lead form submission forwarded by an automation."""
    p = c.person()
    b.line(c.t("Nuevo lead desde el formulario web de {company}",
               "New web form lead for {company}"),
           company=c.company())
    b.line(c.t("Nombre completo: {name}", "Full name: {name}"), name=c.name(p))
    b.line(c.t("Correo electrónico: {email}", "Email: {email}"), email=c.email(p))
    b.line(c.t("Teléfono: {phone}", "Phone: {phone}"), phone=c.phone())
    if c.chance(0.5):
        b.line(c.t("Dirección: {addr}", "Address: {addr}"), addr=c.address())
    if c.chance(0.3):
        b.line(c.t("NIF: {id}", "Tax ID: {id}"), id=c.national_id())
    b.line(c.t("Interés: {product} (ref. {sku})", "Interest: {product} (ref. {sku})"),
           product=c.product(), sku=c.sku())
    b.line(c.t("Presupuesto: {money}", "Budget: {money}"), money=c.money(100, 20000))
    b.line(c.t(
        "Mensaje: Hola, me gustaría recibir información. Mejor contactar {meeting}.",
        "Message: Hi, I'd like more information. Best to contact me {meeting}.",
    ), meeting=c.meeting())
    b.line(c.t("Consentimiento RGPD: sí", "GDPR consent: yes"))
    b.line("IP: {ip}", ip=c.ip())
    b.line(c.t("Enviado: {when}", "Submitted: {when}"), when=c.doc_date())


def invoice(c: Ctx, b: DocBuilder) -> None:
    """An invoice with issuer CIF, customer ID and address, lines, and a payment method."""
    p = c.person()
    b.line(c.t("FACTURA {inv}", "INVOICE {inv}"), inv=c.invoice_no())
    b.line(c.t("Fecha de emisión: {d}", "Issue date: {d}"), d=c.doc_date())
    b.line(c.t("Emisor: {company} - CIF {cif}", "Issuer: {company} - VAT ES {cif}"),
           company=c.company(), cif=c.cif())
    b.line(c.t("Cliente: {name} - NIF {id}", "Customer: {name} - ID {id}"),
           name=c.name(p), id=c.dni() if c.chance(0.7) else c.nie())
    b.line(c.t("Dirección: {addr}", "Address: {addr}"), addr=c.address())
    b.add("\n")
    for _ in range(c.rng.randrange(1, 4)):
        b.line("{qty} x {product} ({sku}) ........ {money}", qty=str(c.rng.randrange(1, 6)),
               product=c.product(), sku=c.sku(), money=c.money(10, 900))
    b.line(c.t("Base imponible: {a}", "Subtotal: {a}"), a=c.money(50, 3000))
    b.line(c.t("IVA (21%): {a}", "VAT (21%): {a}"), a=c.money(10, 600))
    b.line("Total: {a}", a=c.money(60, 3600))
    b.add("\n")
    if c.chance(0.7):
        b.line(c.t("Forma de pago: domiciliación bancaria en {iban}",
                   "Payment: direct debit from {iban}"), iban=c.iban())
    else:
        b.line(c.t("Pagado con tarjeta {card}", "Paid by card {card}"), card=c.card())
    b.line(c.t("Pedido asociado: {order}", "Related order: {order}"), order=c.order())
