"""`hms backup prune`: which backups and archived binary logs retention deletes, and why the
rest is kept.

Per database, a backup is kept when it is among the newest `keep_last`, younger than
`keep_days`, the newest verified one (signed, checksum matching: never deleted), or the
parent a kept incremental backup is built on (`parent` in its manifest, followed to the
full backup). An archived binary log file is kept from the earliest file a kept backup
rolls forward from; older ones are deleted. Backups made elsewhere (unsigned) are never
touched. The plan is computed first and printed; `execute` deletes exactly it.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from . import archive as archives
from . import binlog
from .errors import BackupError
from .manifest import Backup, list_backups, manifest_path


@dataclass
class Decision:
    """Whether one backup or archived binary log stays, and why."""

    name: str
    keep: bool
    reasons: list[str] = field(default_factory=list)
    backup: Backup | None = None  # None for an archived binary log


@dataclass
class PrunePlan:
    """Everything prune would do, before it does it."""

    backups: list[Decision] = field(default_factory=list)
    binlogs: list[Decision] = field(default_factory=list)
    untouched: list[str] = field(default_factory=list)  # unsigned backups: not ours to delete
    warnings: list[str] = field(default_factory=list)

    @property
    def deletions(self) -> tuple[list[Decision], list[Decision]]:
        return [d for d in self.backups if not d.keep], [d for d in self.binlogs if not d.keep]


def plan_prune(backup_dir: Path, *, keep_last: int | None = None, keep_days: float | None = None,
               key_file: Path | None = None, now: datetime | None = None,
               server_retention_days: float | None = None) -> PrunePlan:
    """Return what pruning `backup_dir` with these rules deletes and keeps (nothing is deleted here)."""
    if keep_last is None and keep_days is None:
        raise BackupError("no retention rule was given", "Give --keep-last N, --keep-days D, or both")
    if (keep_last is not None and keep_last < 0) or (keep_days is not None and keep_days < 0):
        raise BackupError("--keep-last and --keep-days cannot be negative", "Give 0 or more")
    found = list_backups(Path(backup_dir), check=True, key_file=key_file)
    return decide(found, archives.load(backup_dir, key_file), keep_last=keep_last, keep_days=keep_days,
                  now=now or datetime.now(timezone.utc), server_retention_days=server_retention_days)


def decide(found: list[Backup], archive: archives.Archive, *, keep_last: int | None, keep_days: float | None,
           now: datetime, server_retention_days: float | None = None) -> PrunePlan:
    """Return the prune plan for backups `found` (newest first, as list_backups gives them) and `archive`."""
    ours = [b for b in found if b.signed]
    result = PrunePlan(untouched=[b.name for b in found if not b.signed])
    decisions = {b.name: Decision(b.name, False, backup=b) for b in ours}
    for database in sorted({b.manifest.database for b in ours}):
        same = [b for b in ours if b.manifest.database == database]  # newest first
        for index, backup in enumerate(same):
            reasons = decisions[backup.name].reasons
            if keep_last is not None and index < keep_last:
                reasons.append(f"among the newest {keep_last}")
            if keep_days is not None and _age(backup, now) <= timedelta(days=keep_days):
                reasons.append(f"younger than {_days(keep_days)}")
        verified = next((b for b in same if b.intact), None)
        if verified is not None:
            decisions[verified.name].reasons.insert(0, "the newest verified backup")
    _keep_parents(ours, decisions, result.warnings)
    for decision in decisions.values():
        decision.keep = bool(decision.reasons)
        if not decision.keep:
            decision.reasons.append(_why_not(decision.backup, now, keep_last, keep_days))
    result.backups = [decisions[b.name] for b in ours]
    kept = [d.backup for d in result.backups if d.keep]
    result.binlogs = _binlog_decisions(archive, kept)
    _warn_retention(result, archive, kept, keep_days, server_retention_days, now)
    return result


def execute(plan: PrunePlan, backup_dir: Path, *, key_file: Path | None = None) -> None:
    """Delete what `plan` decided to delete: backups (data, then manifest), then archived binary logs."""
    backups, logs = plan.deletions
    for decision in backups:
        _delete_backup(decision.backup)
    if logs:
        with archives.locked(backup_dir):
            archive = archives.load(backup_dir, key_file)
            archives.remove(archive, [d.name for d in logs if d.name in archive.files])


def _keep_parents(backups: list[Backup], decisions: dict[str, Decision], warnings: list[str]) -> None:
    """Keep, with a reason, every backup a kept incremental backup is built on (its whole chain)."""
    by_name: dict[str, Backup] = {}
    for b in backups:
        by_name[b.name] = by_name[manifest_path(b.path).name] = b
    for backup in backups:
        if not decisions[backup.name].reasons:
            continue
        child, seen = backup, set()
        while (parent := getattr(child.manifest, "parent", None)) and child.name not in seen:
            seen.add(child.name)
            found = by_name.get(Path(str(parent)).name)
            if found is None:
                warnings.append(f"{child.name} is an incremental backup of {parent}, which is not in the backup "
                                "directory: it cannot be restored")
                break
            reasons = decisions[found.name].reasons
            need = f"the base of incremental {backup.name}"
            if need not in reasons:
                reasons.append(need)
            child = found


def _binlog_decisions(archive: archives.Archive, kept: list[Backup]) -> list[Decision]:
    start = archives.needed_from(kept)
    first = binlog.file_number(start) if start else None
    users: dict[str, list[str]] = {}
    for backup in kept:
        coordinates = archives.coordinates_of(backup)
        if coordinates is not None:
            users.setdefault(coordinates.file, []).append(backup.name)
    decisions = []
    for entry in archive.ordered():
        base, number = binlog.file_number(entry.name)
        if first is not None and base == first[0] and number >= first[1]:
            starts = users.get(entry.name)
            reason = (f"where the roll-forward of {', '.join(starts)} starts" if starts
                      else f"needed to roll kept backups forward (from {start} on)")
            decisions.append(Decision(entry.name, True, [reason]))
        else:
            reason = (f"before {start}, where the oldest kept backup's roll-forward starts" if start
                      else "no kept backup rolls forward from the binary log")
            decisions.append(Decision(entry.name, False, [reason]))
    return decisions


def _warn_retention(result: PrunePlan, archive: archives.Archive, kept: list[Backup], keep_days: float | None,
                    retention_days: float | None, now: datetime) -> None:
    """Warn when backups are kept longer than the server keeps binary logs and their logs are not archived."""
    if keep_days is None or retention_days is None or keep_days <= retention_days:
        return
    unarchived = []
    for backup in kept:
        coordinates = archives.coordinates_of(backup)
        if coordinates is not None and coordinates.file not in archive.files:
            late = " (already past it)" if _age(backup, now) > timedelta(days=retention_days) else ""
            unarchived.append(f"{backup.name} from {coordinates.file}{late}")
    if unarchived:
        result.warnings.append(
            f"--keep-days {_days(keep_days)} keeps backups longer than the server keeps its binary log "
            f"({_days(retention_days)}), so they can be rolled forward only from the archive, which lacks the logs of: "
            + "; ".join(unarchived) + ". Run `hms backup archive-binlogs` (hms backup create does) to keep them")


def _delete_backup(backup: Backup) -> None:
    path = backup.path
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    with contextlib.suppress(FileNotFoundError):
        manifest_path(path).unlink()


def _age(backup: Backup, now: datetime) -> timedelta:
    return now - datetime.fromisoformat(backup.manifest.created_at)


def _days(days: float) -> str:
    return f"{days:g} day" + ("" if days == 1 else "s")


def _why_not(backup: Backup, now: datetime, keep_last: int | None, keep_days: float | None) -> str:
    parts = []
    if keep_last is not None:
        parts.append(f"not among the newest {keep_last}")
    if keep_days is not None:
        parts.append(f"{_days(round(_age(backup, now).total_seconds() / 86400, 1))} old")
    return ", ".join(parts)
