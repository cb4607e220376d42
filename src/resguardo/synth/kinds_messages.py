"""Free-text kinds: customer emails, call transcripts, CRM notes, appointment requests."""

from __future__ import annotations

from resguardo.synth.builder import DocBuilder
from resguardo.synth.context import Ctx

__all__ = ["appointment", "crm_note", "customer_email", "transcript"]


def customer_email(c: Ctx, b: DocBuilder) -> None:
    """A customer writes to a business about an order, a bill or a change of details."""
    p = c.person()
    agent = c.person()
    b.line(c.t("Asunto: {topic}", "Subject: {topic}"), topic=c.pick(*c.t(
        "Consulta sobre mi pedido|Cambio de datos bancarios|Reclamación factura|Solicitud de baja",
        "Question about my order|Change of bank details|Invoice complaint|Cancel my subscription",
    ).split("|")))
    b.line(c.t("De: {email}", "From: {email}"), email=c.email(p))
    b.add("\n")
    greeting = c.chance(0.5)
    if greeting:
        b.line(c.t("Hola {agent}:", "Hi {agent},"), agent=c.given(agent))
    else:
        b.line(c.t("Buenos días:", "Good morning,"))
    b.add("\n")
    b.line(c.t(
        "Me llamo {name} y les escribo por el pedido {order} del producto {sku}.",
        "My name is {name} and I'm writing about order {order} for item {sku}.",
    ), name=c.name(p), order=c.order(), sku=c.sku())
    roll = c.rng.random()
    if roll < 0.35:
        b.line(c.t(
            "Quiero que a partir de ahora me domicilien los recibos en la cuenta {iban} en "
            "lugar de la anterior. El importe del último recibo fue {money}.",
            "From now on please charge my direct debits to account {iban} instead of the old one. "
            "The last bill was {money}.",
        ), iban=c.iban(), money=c.money())
    elif roll < 0.65:
        b.line(c.t(
            "En la factura {inv} me han cobrado {money} dos veces con la tarjeta {card}. "
            "Les adjunto copia de mi DNI {dni} para que lo comprueben.",
            "Invoice {inv} charged {money} twice to my card {card}. "
            "My ID number is {dni} in case you need to check.",
        ), inv=c.invoice_no(), money=c.money(), card=c.card(), dni=c.national_id())
    else:
        b.line(c.t(
            "He cambiado de domicilio; la nueva dirección es {addr}. La reunión con el comercial "
            "sigue siendo {meeting}.",
            "I have moved; my new address is {addr}. The meeting with your sales rep is still "
            "{meeting}.",
        ), addr=c.address(), meeting=c.meeting())
    b.line(c.t(
        "Pueden llamarme al {phone} por las mañanas.",
        "You can call me on {phone} in the mornings.",
    ), phone=c.phone())
    b.add("\n")
    b.line(c.t("Un saludo,", "Kind regards,"))
    b.line("{name}", name=c.name(p) if c.chance(0.6) else c.given(p))
    if c.chance(0.4):
        b.line("{phone}", phone=c.phone())


def transcript(c: Ctx, b: DocBuilder) -> None:
    """A voice agent's call, transcribed for the CRM."""
    p = c.person()
    agent_name = c.person()
    agent, client = c.t("Agente", "Agent"), c.t("Cliente", "Caller")
    b.line(c.t("Transcripción llamada {ticket} - {company}",
               "Call transcript {ticket} - {company}"),
           ticket=c.ticket(), company=c.company())
    b.line(c.t("{a}: Buenos días, le atiende {agent}, ¿en qué puedo ayudarle?",
               "{a}: Good morning, this is {agent}, how can I help you?"),
           a=agent, agent=c.given(agent_name))
    b.line(c.t("{cl}: Hola, soy {name}, llamaba por una avería.",
               "{cl}: Hi, this is {name}, I'm calling about a fault."), cl=client, name=c.name(p))
    b.line(c.t("{a}: Para verificar su identidad, ¿me indica su DNI o NIE?",
               "{a}: To verify your identity, could you give me your ID number?"), a=agent)
    b.line(c.t("{cl}: Sí, es el {id}.", "{cl}: Sure, it's {id}."), cl=client, id=c.national_id())
    b.line(c.t("{a}: Gracias. ¿Y una fecha de nacimiento?", "{a}: Thanks. And your date of birth?"),
           a=agent)
    dob, _ = c.birth()
    b.line(c.t("{cl}: El {dob}.", "{cl}: {dob}."), cl=client, dob=dob)
    if c.chance(0.4):
        b.line(c.t("{cl}: Es por el coche, matrícula {plate}, el presupuesto era de {money}.",
                   "{cl}: It's about the car, plate {plate}, the quote was {money}."),
               cl=client, plate=c.plate(), money=c.money())
    b.line(c.t("{a}: ¿Un teléfono de contacto?", "{a}: A contact number?"), a=agent)
    b.line(c.t("{cl}: Mi móvil es el {phone}.", "{cl}: My mobile is {phone}."),
           cl=client, phone=c.phone())
    b.line(c.t("{a}: ¿Y el correo?", "{a}: And your email?"), a=agent)
    b.line("{cl}: {email}", cl=client, email=c.email(p))
    b.line(c.t("{a}: Perfecto, {name}, le enviamos un técnico {meeting}. Referencia {order}.",
               "{a}: Great, {name}, a technician will come {meeting}. Reference {order}."),
           a=agent, name=c.given(p), meeting=c.meeting(), order=c.order())


def crm_note(c: Ctx, b: DocBuilder) -> None:
    """A salesperson's free-text note on a contact."""
    p = c.person()
    b.line(c.t("Nota CRM - oportunidad {order}", "CRM note - opportunity {order}"), order=c.order())
    title = c.t("Sra." if p.female else "Sr.", "Ms." if p.female else "Mr.")
    b.line(c.t(
        "Hablé con {title} {surname} {meeting_ago}. Interesado/a en {product} ({sku}), "
        "presupuesto aproximado {money}.",
        "Spoke with {title} {surname} {meeting_ago}. Interested in {product} ({sku}), "
        "budget around {money}.",
    ), title=title, surname=c.surname(p), meeting_ago=c.t("esta mañana", "this morning"),
        product=c.product(), sku=c.sku(), money=c.money())
    b.line(c.t(
        "Contacto directo: {phone} / {email}. Volver a llamar {meeting}.",
        "Direct contact: {phone} / {email}. Call back {meeting}.",
    ), phone=c.phone(), email=c.email(p), meeting=c.meeting())
    if c.chance(0.5):
        years = c.rng.randrange(25, 75)
        b.line(c.t("Tiene {age}, vive en {addr}.", "They are {age}, living at {addr}."),
               age=c.age(years), addr=c.address())
    if c.chance(0.3):
        b.line(c.t("Menciona que tiene {health}, prefiere no desplazarse.",
                   "Mentioned they have {health}, prefers not to travel."), health=c.health())
    b.line(c.t("Factura pendiente {inv} por {money}.", "Outstanding invoice {inv} for {money}."),
           inv=c.invoice_no(), money=c.money())


def appointment(c: Ctx, b: DocBuilder) -> None:
    """A patient asks a clinic for an appointment and shares health details."""
    p = c.person()
    dob, years = c.birth()
    b.line(c.t("Solicitud de cita - {clinic}", "Appointment request - {clinic}"), clinic=c.clinic())
    b.line(c.t(
        "Hola, me llamo {name}, tengo {age} y quería pedir cita {meeting}.",
        "Hello, my name is {name}, I'm {age} and I'd like an appointment {meeting}.",
    ), name=c.name(p), age=c.age(years), meeting=c.meeting())
    b.line(c.t(
        "Me diagnosticaron {h1} hace unos años y ahora tomo {h2}.",
        "I was diagnosed with {h1} a few years ago and I now take {h2}.",
    ), h1=c.health(), h2=c.health("medication"))
    if c.chance(0.5):
        b.line(c.t("El médico de cabecera me ha pedido una {proc}.",
                   "My GP has asked for a {proc}."), proc=c.health("procedure"))
    if c.chance(0.5):
        b.line(c.t("Mi número de la Seguridad Social es {nss}.",
                   "My Spanish social security number is {nss}."), nss=c.nss())
    else:
        b.line(c.t("Fecha de nacimiento: {dob}. DNI: {id}.", "Date of birth: {dob}. ID: {id}."),
               dob=dob, id=c.national_id())
    b.line(c.t("Mi teléfono es {phone} y mi correo {email}.",
               "My phone is {phone} and my email {email}."), phone=c.phone(), email=c.email(p))
    b.line(c.t("Gracias, {given}.", "Thanks, {given}."), given=c.given(p))
