"""`zengshou` command line: template, demo, analyze, report (the stable contract of DESIGN.md), what-if, progress.

Exit status: 0 success; 2 unusable input or policy (a Chinese message naming sheet, row and
column goes to stderr); 1 when some village reports failed (the others still finish); 130 when
interrupted (Ctrl-C or SIGTERM: one Chinese line, finished files complete, an index marked 未完成).
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
import time
from pathlib import Path


EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
DEMO_INPUT = Path("data/raw/demo.xlsx")
DEMO_PROCESSED = Path("data/processed")
DEMO_POLICY_NAME = "demo_policy.toml"  # written next to the demo workbook
DEMO_AS_OF = dt.date(2022, 8, 15)
DEMO_WEEKS = 2  # earlier weekly snapshots the demo adds before DEMO_AS_OF (analysis only, no report)
HISTORY_FOLDER = "history"  # `analyze -o DIR` keeps its snapshots in DIR/history (data/processed/history)
SAID_WHEN_READ = ("W209", "W210")  # findings about the input as a whole, printed at once
INPUT_HELP = "输入工作簿，或防止返贫监测系统的导出文件/文件夹（可给多个，如每年一个导出文件）"
YEAR_HELP = "指明导出文件的年度，如 --year \"监测对象信息 (1).xlsx=2022\"（可重复；文件中无「年度」列、文件名中无年份时使用）"


def _years(values: list[int] | None) -> tuple[int, int] | None:
    if not values:
        return None
    last, this = sorted(values)
    return last, this


def _file_years(values: list[str] | None) -> dict[str, int]:
    """``--year 文件名=2022`` (repeatable) as {文件名: 2022}; a malformed one is unusable input."""
    from lib.codes import InputError

    named = {}
    for value in values or ():
        name, sep, year = value.rpartition("=")
        if not sep or not name.strip() or not year.strip().isdigit() or len(year.strip()) != 4:
            raise InputError(f"--year 的写法应为「文件名=年度」，如 --year \"监测对象信息.xlsx=2022\"（收到：{value}）")
        named[name.strip()] = int(year.strip())
    return named


def _as_of(text: str) -> dt.date:
    """--as-of YYYY-MM-DD: the 截至 date of the briefings (deadlines count from it)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD（如 2022-08-15），不是“{text}”") from None


def cmd_template(args) -> int:
    from lib.io.template import write_template

    path = write_template(args.path)
    print(f"已生成填报模板：{path}（请先阅读“填写说明”工作表）")
    return EXIT_OK


def cmd_analyze(args) -> int:
    from lib.io.folders import writable_folder
    from lib.io.partitions import partition_folders
    from lib.report.pipeline import analyse_input

    writable_folder(args.output)
    if len(args.input) == 1 and partition_folders(args.input[0]):  # one sub-folder per 县 or 乡镇: bounded memory
        return _analyze_partitions(args)
    if args.scheduler:
        print("提示：--scheduler 只用于分区文件夹（每个县或乡镇一个子文件夹），本次在本机计算")
    write_results(analyse_input(args.input, args.policy, _years(args.years), _file_years(args.year), as_of=args.as_of),
                  args.output)
    return EXIT_OK


def _analyze_partitions(args) -> int:
    from lib.io.partitions import analyze_partitioned

    s, written = analyze_partitioned(args.input[0], args.output, args.policy, _years(args.years), args.scheduler)
    years = s["年度"]
    print(
        f"{years['上年']}—{years['本年']} 年度比对完成（{len(s['分区'])} 个分区）：{s['户数']} 户，"
        + "，".join(f"{k} {v} 户" for k, v in s["收入研判"].items())
        + f"；未使用的输入行 {s['未使用行数']} 行（见 rejects.csv）"
    )
    print(f"结果已写入 {Path(args.output)}：" + "、".join(p.name for p in written))
    return EXIT_OK


def write_results(analysis, output) -> None:
    """`zengshou analyze`'s files in ``output``, and what was found, in two lines."""
    from lib.io.writer import write_analysis

    written = write_analysis(analysis, output)
    from lib.io.history import write_snapshot

    write_snapshot(Path(output) / HISTORY_FOLDER, analysis)  # this run's snapshot, by as-of date
    for note in analysis.findings.filter(analysis.findings["代码"].is_in(SAID_WHEN_READ))["原因"]:
        print(f"提示：{note}")  # which sheet was taken for which, or that none was found
    s = analysis.summary
    counts = s.get("收入研判", {})
    print(
        f"{analysis.year_last}—{analysis.year_this} 年度比对完成：{s.get('户数', len(analysis.households))} 户，"
        + "，".join(f"{k} {v} 户" for k, v in counts.items())
        + f"；未使用的输入行 {analysis.rejects.height} 行（见 rejects.csv）"
    )
    print(f"结果已写入 {Path(output)}：" + "、".join(p.name for p in written)
          + f"；进度记录 {HISTORY_FOLDER}/{analysis.as_of.isoformat()}（zengshou progress 查看与上次相比）")


def cmd_report(args) -> int:
    from lib.io.folders import writable_folder
    from lib.report.pipeline import check_full_ids_folder, run_report

    writable_folder(args.output)
    if args.full_ids_copy is not None:  # refused before the long run, not after it
        check_full_ids_folder(args.full_ids_copy, args.output)
    result = run_report(
        args.input,
        args.output,
        villages=args.village or None,
        workers=args.workers,
        scheduler=args.scheduler,
        policy_path=args.policy,
        years=_years(args.years),
        file_years=_file_years(args.year),
        full_ids_copy=args.full_ids_copy,
        as_of=args.as_of,
    )
    from lib.interactive.session import record_last_run

    if len(args.input) == 1:  # what the notebooks read by default
        record_last_run("report", args.input[0], args.policy, _years(args.years))
    if result.interrupted:
        raise KeyboardInterrupt  # the same one line and exit status as a Ctrl-C elsewhere
    return EXIT_FAILED if result.failed else EXIT_OK


def cmd_what_if(args) -> int:
    from lib.io.folders import writable_folder
    from lib.report.scenario import run_what_if

    writable_folder(args.output)
    levers = {
        "posts": args.posts, "post_monthly_pay": args.pay, "post_months": args.months,
        "placement": args.placement, "industry_per_household": args.industry,
        "dibao_standard": args.dibao_standard, "monitoring_threshold": args.threshold,
        "flat_band": args.flat_band,
    }
    from lib.io.reader import read_input

    inputs, file_years = args.input, _file_years(args.year)
    print(read_input(inputs, file_years).describe(), file=sys.stderr)  # the years are right, or the run asks now
    page = run_what_if(inputs if len(inputs) > 1 else inputs[0], args.output, levers, policy_path=args.policy,
                       years=_years(args.years), stem=args.name, file_years=file_years, as_of=args.as_of)
    print(f"已生成假设分析：{page.html}（用时 {page.seconds:.0f} 秒）")
    return EXIT_OK


def cmd_demo(args) -> int:
    from lib.io.folders import writable_folder
    from lib.demo.district import write_demo, write_demo_policy
    from lib.report.pipeline import analyse_input, print_summary, report_from_analysis
    from lib.report.scenario import STEM, run_what_if
    from lib.interactive.what_if import PLAN_PRESET

    start = time.perf_counter()
    for folder in (args.output, args.processed, Path(args.input).parent):
        writable_folder(folder)
    path = write_demo(args.input, seed=args.seed)
    policy = write_demo_policy(Path(args.input).with_name(DEMO_POLICY_NAME))
    print(f"已生成演示数据：{path}；本地政策参数：{policy}")
    from lib.interactive.session import record_last_run

    record_last_run("demo", path, policy)  # the notebooks read the same input and policy by default
    # analysed once: the per-household results for Excel users and every report come from it
    # The demo is a survey of 2022: its briefings are dated in its own season (mid-August, two
    # weeks before the 台账 deadline), not today, unless --as-of says otherwise.
    analysis = analyse_input(path, policy, as_of=args.as_of or DEMO_AS_OF)
    # the season so far: two earlier weekly snapshots, derived from the generator's data (analysis only)
    from lib.demo.district import write_earlier_weeks
    from lib.report.workspace import history_dir_for

    for day in write_earlier_weeks(analysis, path, history_dir_for(args.output), DEMO_WEEKS):
        print(f"已记录演示进度：截至 {day.isoformat()}")
    write_results(analysis, args.processed)
    # the plan's own scenario (its public-welfare posts), linked from the index, dated as the briefings
    page = run_what_if(path, args.output, {"posts": PLAN_PRESET.posts}, policy_path=policy,
                       stem=f"{STEM}_方案{PLAN_PRESET.posts}个公益岗", as_of=analysis.as_of)
    print(f"已生成假设分析：{page.html}（用时 {page.seconds:.0f} 秒）")
    result = report_from_analysis(analysis, args.output, workers=args.workers,
                                  input_path=path, source=Path(path).name)
    print_summary(result)
    if result.interrupted:
        raise KeyboardInterrupt
    print(f"演示完成，用时 {time.perf_counter() - start:.0f} 秒；打开 {Path(args.output) / 'index.html'} 查看报告")
    return EXIT_FAILED if result.failed else EXIT_OK


def cmd_progress(args) -> int:
    from lib.io.folders import writable_folder
    from lib.report.progress import load, progress_lines, write_page
    from lib.report.workspace import history_dir_for

    history = args.history or history_dir_for(args.output)
    p = load(history, args.as_of, args.since)
    if p.as_of is None:
        from lib.codes import InputError

        raise InputError(f"在 {history} 中没有找到历次运行记录：先用 zengshou analyze 或 zengshou report 运行一次"
                         + (f"（截至 {args.as_of.isoformat()} 或更早）" if args.as_of else ""))
    print("\n".join(progress_lines(p)))
    writable_folder(args.output)
    page = write_page(args.output, p)
    print(f"进度页已写入 {page}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zengshou", description="增收监测：两年收入逐户逐项比对、减收风险点研判、帮扶台账与村级简报")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("template", help="生成空白填报模板（含填写说明）")
    t.add_argument("path", type=Path)
    t.set_defaults(func=cmd_template)

    d = sub.add_parser("demo", help="生成演示区县数据并为每个村出报告")
    d.add_argument("--input", type=Path, default=DEMO_INPUT, help="演示数据写到哪里（默认 data/raw/demo.xlsx）")
    d.add_argument("-o", "--output", type=Path, default=Path("outputs"))
    d.add_argument("--seed", type=int, default=2022)
    d.add_argument("--workers", type=int, default=None)
    d.add_argument("--processed", type=Path, default=DEMO_PROCESSED, help="逐户研判结果写到哪里（默认 data/processed）")
    d.add_argument("--as-of", type=_as_of, default=None, metavar="YYYY-MM-DD", help="简报的截至日期（演示默认 2022-08-15，即演示年度的8月中旬）")
    d.set_defaults(func=cmd_demo)

    a = sub.add_parser("analyze", help="校验输入并计算每户研判结果")
    a.add_argument("input", type=Path, nargs="+", help=INPUT_HELP)
    a.add_argument("--year", action="append", metavar="文件名=年度", help=YEAR_HELP)
    a.add_argument("-o", "--output", type=Path, required=True)
    a.add_argument("--policy", type=Path, default=None, help="政策参数文件（TOML），缺省用内置默认值")
    a.add_argument("--years", type=int, nargs=2, metavar=("上年", "本年"), help="指定比较的两个年度")
    a.add_argument("--scheduler", default=None, help="分区文件夹：在此 dask.distributed 调度器上逐分区计算（可选）")
    a.add_argument("--as-of", type=_as_of, default=None, metavar="YYYY-MM-DD", help="简报的截至日期（默认今天）")
    a.set_defaults(func=cmd_analyze)

    r = sub.add_parser("report", help="逐村生成 HTML 简报和 Excel 台账")
    r.add_argument("input", type=Path, nargs="+", help=INPUT_HELP)
    r.add_argument("--year", action="append", metavar="文件名=年度", help=YEAR_HELP)
    r.add_argument("-o", "--output", type=Path, required=True)
    r.add_argument("--village", action="append", help="只出这个村（可重复）")
    r.add_argument("--workers", type=int, default=None, help="并行进程数（默认为CPU核数）")
    r.add_argument("--scheduler", default=None, help="dask.distributed 调度器地址（可选）")
    r.add_argument("--policy", type=Path, default=None)
    r.add_argument("--years", type=int, nargs=2, metavar=("上年", "本年"))
    r.add_argument("--full-ids-copy", type=Path, default=None, metavar="DIR",
                   help="另存一份含完整证件号码和电话的台账到 DIR，供录入系统（须在输出目录之外）")
    r.add_argument("--as-of", type=_as_of, default=None, metavar="YYYY-MM-DD", help="简报的截至日期（默认今天）")
    r.set_defaults(func=cmd_report)

    g = sub.add_parser("progress", help="与上次运行相比的变化和按期完成预测（终端 + outputs/进度.html）")
    g.add_argument("--since", type=_as_of, default=None, metavar="YYYY-MM-DD",
                   help="与这一天或更早的最近一次记录相比（默认：上一次）")
    g.add_argument("--as-of", type=_as_of, default=None, metavar="YYYY-MM-DD", help="看这一天的记录（默认：最近一次）")
    g.add_argument("-o", "--output", type=Path, default=Path("outputs"), help="进度.html 写到哪里（默认 outputs）")
    g.add_argument("--history", type=Path, default=None,
                   help="历次运行记录所在文件夹（默认 data/processed/history，或 <输出文件夹>_工作文件/history）")
    g.set_defaults(func=cmd_progress)

    w = sub.add_parser("what-if", help="按给定杠杆做一次假设分析，输出离线 HTML（可发给领导）")
    w.add_argument("input", type=Path, nargs="+", help=INPUT_HELP)
    w.add_argument("--year", action="append", metavar="文件名=年度", help=YEAR_HELP)
    w.add_argument("-o", "--output", type=Path, required=True)
    w.add_argument("--name", default="假设分析", help="输出文件名（不含 .html，默认“假设分析”）")
    w.add_argument("--posts", type=int, default=None, help="新增公益岗位数")
    w.add_argument("--pay", type=float, default=None, help="每岗月补贴（元）")
    w.add_argument("--months", type=int, default=None, help="每年在岗月数")
    w.add_argument("--placement", choices=("最优", "名单顺序"), default=None, help="安置方式")
    w.add_argument("--industry", type=float, default=None, help="无劳动力户每户增加的产业收益分配（元/年）")
    w.add_argument("--dibao-standard", type=float, default=None, help="本年低保标准（元/人/年）")
    w.add_argument("--threshold", type=float, default=None, help="本年监测线（元/人/年）")
    w.add_argument("--flat-band", type=float, default=None, help="持平区间（如 0.02）")
    w.add_argument("--policy", type=Path, default=None)
    w.add_argument("--years", type=int, nargs=2, metavar=("上年", "本年"))
    w.add_argument("--as-of", type=_as_of, default=None, metavar="YYYY-MM-DD", help="要点中的截至日期（默认今天）")
    w.set_defaults(func=cmd_what_if)
    return p


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    from lib.policy import PolicyError
    from lib.codes import InputError

    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # a stop from the system ends the run as Ctrl-C does
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断：已完成的文件完整可用，未完成的没有留下；重新运行即可补齐", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (InputError, PolicyError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # the disk filled up or a folder was locked while writing
        from lib.io.folders import disk_message

        output = getattr(args, "output", None) or Path(".")
        print(f"错误：{disk_message(exc, Path(output))}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
