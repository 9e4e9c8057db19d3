"""Verify that every balance, pack and bill equals the sum of its ledger entries."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing.selectors import ledger_problems


class Command(BaseCommand):
    help = "Check that balances, packs' remaining calls and bills equal the sums of their ledger entries."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} ledger mismatch(es)")
        self.stdout.write(self.style.SUCCESS("Ledger OK: balances, packs and bills equal their entries."))
