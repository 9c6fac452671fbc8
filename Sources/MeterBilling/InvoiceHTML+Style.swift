extension InvoiceHTML {
    /// The page's only style sheet, inline so the file stands alone: system fonts, tabular
    /// figures, margins that fit both A4 and US Letter (the printer's paper size is kept), and a
    /// print view without screen decoration where table headers repeat and rows never split.
    static let styleSheet = """
    @page { size: auto; margin: 15mm 14mm; }
    * { box-sizing: border-box; }
    html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    body {
      margin: 0;
      background: #eef0f3;
      color: #1d2430;
      font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
    }
    .invoice {
      position: relative;
      max-width: 820px;
      margin: 24px auto;
      padding: 40px 48px;
      background: #fff;
      border-radius: 6px;
      box-shadow: 0 1px 4px rgba(0, 0, 0, .12);
    }
    .watermark {
      position: fixed;
      top: 38%;
      left: 0;
      right: 0;
      text-align: center;
      font-size: 140px;
      font-weight: 800;
      letter-spacing: .08em;
      color: rgba(190, 30, 45, .10);
      transform: rotate(-28deg);
      pointer-events: none;
      z-index: 1;
    }
    header.top {
      display: flex;
      justify-content: space-between;
      align-items: flex-start;
      gap: 24px;
      padding-bottom: 20px;
      border-bottom: 2px solid #1d2430;
    }
    .issuer-name { margin: 0 0 4px; font-size: 20px; }
    .issuer p, .customer p { margin: 0; }
    .muted { color: #5b6475; }
    .title { text-align: right; }
    .title h1 { margin: 0; font-size: 28px; letter-spacing: .04em; text-transform: uppercase; }
    .title .number { margin: 4px 0 0; font-size: 16px; font-weight: 600; }
    .badge {
      display: inline-block;
      margin-top: 8px;
      padding: 2px 10px;
      border: 2px solid;
      border-radius: 4px;
      font-size: 13px;
      font-weight: 800;
      letter-spacing: .12em;
    }
    .badge-draft { color: #b26a00; }
    .badge-void { color: #be1e2d; }
    .badge-paid { color: #1b7f3b; }
    .parties { display: flex; justify-content: space-between; gap: 24px; margin: 24px 0; }
    h2 {
      margin: 0 0 6px;
      font-size: 12px;
      font-weight: 700;
      letter-spacing: .08em;
      text-transform: uppercase;
      color: #5b6475;
    }
    dl.facts { display: grid; grid-template-columns: auto auto; gap: 2px 16px; margin: 0; }
    dl.facts dt { color: #5b6475; }
    dl.facts dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
    table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
    th, td { padding: 7px 8px; vertical-align: top; }
    thead th {
      border-bottom: 1px solid #1d2430;
      font-size: 12px;
      text-align: left;
      letter-spacing: .04em;
      text-transform: uppercase;
      color: #5b6475;
    }
    tbody td { border-bottom: 1px solid #e1e4ea; }
    table.totals td { border-bottom: none; }
    .num { text-align: right; white-space: nowrap; }
    thead th.num { text-align: right; }
    .kind { display: block; font-size: 12px; color: #5b6475; }
    .detail { display: block; font-size: 12px; font-weight: 400; color: #5b6475; }
    table.totals { width: auto; min-width: 340px; margin: 16px 0 0 auto; }
    table.totals th { text-align: left; font-weight: 400; }
    table.totals tr.total th, table.totals tr.total td { border-top: 1px solid #1d2430; font-weight: 700; }
    table.totals tr.balance th, table.totals tr.balance td {
      border-top: 2px solid #1d2430;
      font-size: 16px;
      font-weight: 700;
    }
    section.block { margin-top: 32px; }
    section.sources table { margin-bottom: 16px; font-size: 12px; }
    caption { padding: 0 0 4px; text-align: left; font-weight: 600; }
    footer { margin-top: 32px; padding-top: 12px; border-top: 1px solid #e1e4ea; font-size: 12px; color: #5b6475; }
    @media print {
      body { background: #fff; font-size: 11pt; }
      .invoice { max-width: none; margin: 0; padding: 0; border-radius: 0; box-shadow: none; }
      thead { display: table-header-group; }
      tr, caption, table.totals, header.top, .parties { break-inside: avoid; }
      section.sources { break-before: page; }
    }
    """
}
