"""Idempotent demo data: an operator, a demo tenant with its owner and a developer sub-account."""

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from billing.services import free_pack_ensure
from console import services
from console.models import Member, Role
from materials.demo import seed_demo_materials, seed_demo_video

DEMO_OPERATOR = ("operator", "ronghe-operator-1")
DEMO_OWNER = ("demo", "ronghe-demo-1")
DEMO_DEVELOPER = ("demo-dev", "ronghe-dev-1")
DEMO_COMPANY = "融合示例科技有限公司"


class Command(BaseCommand):
    help = "Create (once) the demo operator, tenant, owner and developer, and print their logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true",
                            help="Print AppId, a new API key of the demo owner, ProjectId and ModelId as one JSON "
                                 "object on stdout (the other lines go to stderr). See api/demo.py.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        human = self.stderr if options.get("json") else self.stdout
        User = get_user_model()
        if not User.objects.filter(username=DEMO_OPERATOR[0]).exists():
            services.operator_create(username=DEMO_OPERATOR[0], password=DEMO_OPERATOR[1])
        owner = Member.objects.filter(user__username=DEMO_OWNER[0]).select_related("account").first()
        if owner is None:
            account = services.account_create(name=DEMO_COMPANY, owner_username=DEMO_OWNER[0],
                                              owner_password=DEMO_OWNER[1], owner_email="demo@example.com",
                                              contact_name="张三", contact_phone="13800000000")
            owner = Member.objects.get(account=account, role=Role.OWNER)
        if not User.objects.filter(username=DEMO_DEVELOPER[0]).exists():
            services.member_create(account=owner.account, by=owner, username=DEMO_DEVELOPER[0],
                                   password=DEMO_DEVELOPER[1], role=Role.DEVELOPER, display_name="Demo developer")
        human.write(f"Demo tenant: {owner.account.name} (AppID {owner.account.app_id})")
        human.write(f"  operator   {DEMO_OPERATOR[0]} / {DEMO_OPERATOR[1]}")
        human.write(f"  owner      {DEMO_OWNER[0]} / {DEMO_OWNER[1]}")
        human.write(f"  developer  {DEMO_DEVELOPER[0]} / {DEMO_DEVELOPER[1]}")
        material = seed_demo_materials(owner=owner, stdout=human)
        video_material = seed_demo_video(owner=owner, stdout=human)
        # Accounts created here skip activation, which is where a new account gets its free pack.
        free_pack_ensure(account=owner.account)
        if options.get("json"):
            from api.demo import demo_api_json

            out = demo_api_json(owner=owner, material=material, video_material=video_material)
            self.stdout.write(json.dumps(out, ensure_ascii=False))
