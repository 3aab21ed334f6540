"""The templates every tenant starts with, in Portuguese (Brazil). Onboarding adds the
ones a tenant lacks and leaves edited ones alone."""

from __future__ import annotations

from typing import Any

NOTICE = "aviso"
INVITE = "convite"
PASSWORD_RESET = "redefinicao-senha"
LEAD_WON = "negocio-ganho"

_FOOTER_HTML = (
    '<p style="color:#666;font-size:12px">Mensagem automática enviada pelo Mosaico. '
    "Não responda a este e-mail.</p>"
)
_FOOTER_TEXT = "--\nMensagem automática enviada pelo Mosaico. Não responda a este e-mail.\n"

DEFAULT_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "key": NOTICE,
        "description": "Aviso livre: o assunto e o texto vêm nos dados (variáveis: assunto, "
        "mensagem, nome)",
        "subject": "{{ assunto }}",
        "html": (
            "{% if nome is defined and nome %}<p>Olá, {{ nome }}!</p>\n{% endif %}"
            "<p>{{ mensagem }}</p>\n" + _FOOTER_HTML + "\n"
        ),
        "text": "{% if nome is defined and nome %}Olá, {{ nome }}!\n\n{% endif %}{{ mensagem }}\n\n"
        + _FOOTER_TEXT,
    },
    {
        "key": INVITE,
        "description": "Convite para entrar na empresa (variáveis: nome, email, empresa, "
        "link, expira_em, papeis)",
        "subject": "Você foi convidado(a) para a {{ empresa }} no Mosaico",
        "html": (
            "<p>Olá{% if nome is defined and nome %}, {{ nome }}{% endif %}!</p>\n"
            "<p>Você recebeu um convite para acessar a <strong>{{ empresa }}</strong> "
            "no Mosaico.</p>\n"
            '<p><a href="{{ link }}">Aceitar o convite</a></p>\n'
            "<p>O convite vale até {{ expira_em }}.</p>\n" + _FOOTER_HTML + "\n"
        ),
        "text": (
            "Olá{% if nome is defined and nome %}, {{ nome }}{% endif %}!\n\n"
            "Você recebeu um convite para acessar a {{ empresa }} no Mosaico.\n\n"
            "Para aceitar, abra: {{ link }}\n\n"
            "O convite vale até {{ expira_em }}.\n\n" + _FOOTER_TEXT
        ),
    },
    {
        "key": PASSWORD_RESET,
        "description": "Redefinição de senha (variáveis: nome, email, empresa, link, expira_em)",
        "subject": "Redefinição de senha no Mosaico",
        "html": (
            "<p>Olá, {{ nome }}!</p>\n"
            "<p>Recebemos um pedido para redefinir a sua senha na "
            "<strong>{{ empresa }}</strong>.</p>\n"
            '<p><a href="{{ link }}">Escolher uma nova senha</a></p>\n'
            "<p>O link vale até {{ expira_em }}. Se você não pediu, ignore esta mensagem: "
            "a sua senha continua a mesma.</p>\n" + _FOOTER_HTML + "\n"
        ),
        "text": (
            "Olá, {{ nome }}!\n\n"
            "Recebemos um pedido para redefinir a sua senha na {{ empresa }}.\n\n"
            "Para escolher uma nova senha, abra: {{ link }}\n\n"
            "O link vale até {{ expira_em }}. Se você não pediu, ignore esta mensagem: "
            "a sua senha continua a mesma.\n\n" + _FOOTER_TEXT
        ),
    },
    {
        "key": LEAD_WON,
        "description": "Negócio ganho no CRM (variáveis: empresa, lead_id, valor, motivo, "
        "fechado_em)",
        "subject": "Negócio ganho: {{ valor }}",
        "html": (
            "<p>Um negócio foi ganho na <strong>{{ empresa }}</strong>.</p>\n"
            "<ul>\n<li>Valor estimado: {{ valor }}</li>\n"
            "{% if motivo %}<li>Motivo: {{ motivo }}</li>\n{% endif %}"
            "<li>Fechado em: {{ fechado_em }}</li>\n<li>Lead: {{ lead_id }}</li>\n</ul>\n"
            + _FOOTER_HTML
            + "\n"
        ),
        "text": (
            "Um negócio foi ganho na {{ empresa }}.\n\n"
            "Valor estimado: {{ valor }}\n"
            "{% if motivo %}Motivo: {{ motivo }}\n{% endif %}"
            "Fechado em: {{ fechado_em }}\n"
            "Lead: {{ lead_id }}\n\n" + _FOOTER_TEXT
        ),
    },
)
