"""Usage errors (missing argument, unknown option, bad value) in Chinese first, English kept.

The command-line parser reports these in English only. :class:`BilingualGroup` is the
class of every ``geogrid`` command group: it catches the parser's error where it is
raised, prints what was wrong (the argument or option, the value given) and the fix
(``geogrid X --help``) in Chinese and in English, and exits with the parser's own
code (2), as the English message would have.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from .._errors import validator_reason_zh
from ._coercion import quick_coercion

__all__ = ["BilingualGroup", "BilingualCommand", "usage_texts", "typer_group"]

try:  # typer >= 0.22 ships its own copy of click; older typer uses click itself
    from typer._click import exceptions as _exc
except ImportError:  # pragma: no cover
    from click import exceptions as _exc

UsageError, BadParameter, MissingParameter = _exc.UsageError, _exc.BadParameter, _exc.MissingParameter
NoSuchOption, BadOptionUsage, NoArgsIsHelpError = (_exc.NoSuchOption, _exc.BadOptionUsage,
                                                   _exc.NoArgsIsHelpError)
FileError, ClickException = _exc.FileError, _exc.ClickException

_QUOTED = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)\"""")

_ONE_OF = re.compile(r"is not one of (.*?)\.?$")


def _param_name(exc: Any) -> str | None:
    hint = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if hint is None and param is not None:
        hint = param.get_error_hint()
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(hint)
    return hint.replace("'", "") if hint else None


def _bad_value(exc: Any) -> tuple[Any, str | None]:
    """The value the user gave and, when known, why it was refused (in Chinese)."""
    cause = exc.__cause__
    if cause is not None and hasattr(cause, "errors"):
        try:
            first = cause.errors()[0]
        except Exception:  # not a validator's error after all
            first = None
        if first:
            zh = ("不在可选值之中" if "is not one of" in str(first.get("msg", ""))
                  else validator_reason_zh(first.get("type", ""), first.get("ctx")))
            return first.get("input"), zh
    match = _QUOTED.search(exc.message or "")
    value = next((g for g in match.groups() if g is not None), None) if match else None
    text = exc.message or ""
    for en, zh in (("does not exist", "不存在"), ("is a directory", "是目录, 应为文件"),
                   ("is a file", "是文件, 应为目录"), ("is not readable", "不可读"),
                   ("is not writable", "不可写"), ("is not one of", "不在可选值之中")):
        if en in text:
            return value, zh
    return value, None


def _chinese(exc: Any, where: str) -> str:
    """What went wrong, in Chinese, naming the argument or option and the value."""
    name = _param_name(exc)
    if isinstance(exc, MissingParameter):
        kind = {"argument": "参数", "option": "选项"}.get(
            exc.param_type or getattr(exc.param, "param_type_name", ""), "参数")
        return f"{where} 缺少{kind} {name or ''}".rstrip()
    if isinstance(exc, BadParameter):
        value, reason = _bad_value(exc)
        shown = f" 的值 {value!r}" if value is not None else " 的值"
        return f"{where} {name or '参数'}{shown} 无效" + (f": {reason}" if reason else "")
    if isinstance(exc, NoSuchOption):
        near = f" (可用: {', '.join(sorted(exc.possibilities))})" if exc.possibilities else ""
        return f"{where} 没有选项 {exc.option_name}{near}"
    if isinstance(exc, BadOptionUsage):
        if "requires an argument" in exc.message:
            return f"{where} 选项 {exc.option_name} 后面缺少值"
        if "does not take a value" in exc.message:
            return f"{where} 选项 {exc.option_name} 不接受值"
        return f"{where} 选项 {exc.option_name} 用法有误"
    if isinstance(exc, FileError):
        return f"{where} 无法打开文件 {exc.ui_filename!r}"
    text = exc.message or ""
    if m := re.match(r"No such command '([^']*)'", text):
        near = re.search(r"Did you mean (.*)\?", text)
        return f"{where} 没有命令 {m.group(1)!r}" + (f", 是否想用 {near.group(1)}" if near else "")
    if m := re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", text):
        return f"{where} 多余的参数: {m.group(1)}"
    if text.startswith("Missing command"):
        return f"{where} 缺少子命令"
    return f"{where} 的用法有误"


def usage_texts(exc: Any, command_path: str) -> tuple[str, str]:
    """``(message, fix)`` for a parser error of ``command_path``: Chinese first, then English."""
    message = f"{_chinese(exc, command_path)}。{exc.format_message()}"
    help_of = command_path
    no_command = re.match(r"No such command", exc.message or "")
    fix = (f"运行 {help_of} --help 查看{'可用命令' if no_command else '参数和选项'}。"
           f"Run {help_of} --help to see its {'commands' if no_command else 'arguments and options'}.")
    param = getattr(exc, "param", None)
    choices = getattr(getattr(param, "type", None), "choices", None)
    listed = (", ".join(str(getattr(c, "value", c)) for c in choices) if choices else
              (m.group(1).replace("'", "") if (m := _ONE_OF.search(exc.message or "")) else None))
    if listed:
        fix = f"可选值 choices: {listed}。" + fix
    return message, fix


def _report(exc: Any, ctx: Any) -> None:
    from ._common import console, escape

    err_ctx = getattr(exc, "ctx", None)
    if err_ctx is not None:
        path = err_ctx.command_path
    else:   # the option parser does not say which command it was parsing
        path = " ".join(p for p in (ctx.command_path, ctx.invoked_subcommand) if p)
    message, fix = usage_texts(exc, path)
    if err_ctx is not None:
        console.print(escape("用法 " + err_ctx.get_usage()), highlight=False)
    console.print(f"[red]错误 error:[/red] {escape(message)}", highlight=False)
    console.print(f"[yellow]修正 fix:[/yellow] {escape(fix)}", highlight=False)


#: help of the options the command-line library adds itself
_LIBRARY_HELP = {
    "install_completion": "为当前 shell 安装命令补全。Install completion for the current shell.",
    "show_completion": "显示当前 shell 的命令补全脚本, 以便复制或自定义。Show completion for the "
                       "current shell, to copy it or customize the installation.",
    "help": "显示此帮助并退出。Show this message and exit.",
}


class _ChineseLibraryHelp:
    """``--help`` and the completion options explained in Chinese first, as ours are."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for p in params:
            if p.name in _LIBRARY_HELP:
                p.help = _LIBRARY_HELP[p.name]
        return params


class BilingualCommand(_ChineseLibraryHelp, TyperCommand):
    """A command whose own ``--help`` line reads Chinese first."""

    def parse_args(self, ctx, args):
        quick_coercion(self.get_params(ctx))
        return super().parse_args(ctx, args)


class BilingualGroup(_ChineseLibraryHelp, TyperGroup):
    """A command group whose parser errors read Chinese first, English kept, exit code 2."""

    def parse_args(self, ctx, args):
        quick_coercion(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except NoArgsIsHelpError:
            raise
        except ClickException as exc:
            _report(exc, _Path(info_name, parent))
            raise typer.Exit(exc.exit_code) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise
        except ClickException as exc:
            _report(exc, ctx)
            raise typer.Exit(exc.exit_code) from None
        except typer.Abort:
            from ._common import console

            console.print("[red]已中止。Aborted.[/red]")
            raise typer.Exit(1) from None


class _Path:
    """The command path of a context that failed before it was made."""

    def __init__(self, name, parent):
        self.command_path = " ".join(p for p in (parent.command_path if parent else None, name)
                                     if p)
        self.invoked_subcommand = None


class _Typer(typer.Typer):
    def command(self, *args, cls=None, **kwargs):
        return super().command(*args, cls=cls or BilingualCommand, **kwargs)


def typer_group(**kwargs) -> typer.Typer:
    """A ``typer.Typer`` whose usage errors and library help are bilingual
    (:class:`BilingualGroup`, :class:`BilingualCommand`)."""
    return _Typer(cls=BilingualGroup, pretty_exceptions_enable=False, **kwargs)
