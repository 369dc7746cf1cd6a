/// The report's inline stylesheet: system fonts only, readable on a phone, printable.
/// (Contains no `<` or `&`, so it stays well-formed XML without a CDATA section.)
enum HTMLStylesheet {
    static let css = """
    :root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa;
      --bad: #b42318; --bad-bg: #fef3f2; --good: #1a7f37; --good-bg: #effaf2; --warn: #9a6700; --warn-bg: #fff8e5; }
    * { box-sizing: border-box; }
    body { margin: 0; color: var(--fg); background: #fff;
      font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 1040px; margin: 0 auto; padding: 16px; }
    h1 { font-size: 1.5em; margin: 0.2em 0 0.6em; overflow-wrap: anywhere; }
    h2 { font-size: 1.25em; margin-top: 1.8em; padding-bottom: 0.2em; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
    h3 { font-size: 1.08em; margin-top: 1.4em; overflow-wrap: anywhere; }
    h4, h5, h6 { font-size: 1em; margin-top: 1.2em; }
    p, li { overflow-wrap: anywhere; }
    code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.88em; }
    code { background: var(--soft); padding: 0.1em 0.3em; border-radius: 4px; overflow-wrap: break-word; }
    code.digest { word-break: break-all; }
    .value { white-space: nowrap; }
    pre.command { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
      white-space: pre-wrap; overflow-wrap: anywhere; }
    pre.command code { background: none; padding: 0; }
    a { color: #0b5cad; }
    .callout { border-left: 5px solid var(--muted); background: var(--soft); padding: 4px 14px; margin: 12px 0; border-radius: 4px; }
    .callout.flagged { border-color: var(--bad); background: var(--bad-bg); }
    .callout.clear { border-color: var(--good); background: var(--good-bg); }
    .callout.caveat { border-color: var(--warn); background: var(--warn-bg); }
    .callout p { margin: 8px 0; }
    .table-wrap { overflow-x: auto; margin: 10px 0 16px; }
    table { border-collapse: collapse; font-size: 0.9em; min-width: 50%; }
    th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
    th { background: var(--soft); font-weight: 600; white-space: nowrap; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    td code { font-size: 0.85em; }
    td a { overflow-wrap: anywhere; }
    nav.toc ul { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; padding: 0; margin: 8px 0; font-size: 0.92em; }
    figure { margin: 14px 0 20px; }
    figure svg { display: block; max-width: 100%; height: auto; }
    figcaption { color: var(--muted); font-size: 0.88em; margin-top: 4px; }
    .figures { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
    .figures > figure { max-width: 100%; }
    /* A caption must not widen its figure beyond the plot. */
    .figures > figure > figcaption { contain: inline-size; }
    footer { color: var(--muted); font-size: 0.8em; margin-top: 3em; border-top: 1px solid var(--line); padding-top: 8px; }
    svg text { font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
    @media (max-width: 600px) {
      body { font-size: 14px; }
      main { padding: 10px; }
      th, td { padding: 3px 5px; }
      /* Plots keep their size (shrunk, their labels would be unreadable) and scroll sideways. */
      figure { overflow-x: auto; }
      figure svg { max-width: none; }
    }
    @media print {
      body { font-size: 11pt; }
      main { max-width: none; padding: 0; }
      nav.toc { display: none; }
      .table-wrap { overflow: visible; }
      figure, tr, .callout { break-inside: avoid; }
      a { color: inherit; }
    }

    """
}
