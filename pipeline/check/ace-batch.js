'use strict';
// Ace by DAISY over several EPUBs in one Node process with one browser (pipeline/check/validators.py runs it,
// with NODE_PATH naming the node_modules that holds Ace: see pipeline/check/installs.py).
// `ace` (the CLI) starts Node and Chromium again for every book; for a build of many sources that is
// most of the time. Usage: node ace-batch.js OUTDIR EPUB...  -> OUTDIR/<index>/report.json per book.
// Only the JSON report is written (no HTML report, no copied data): that is all chapbook reads.
const fs = require('fs');
const path = require('path');
const ace = require('@daisy/ace-core');
const runner = require('@daisy/ace-axe-runner-puppeteer');
const logger = require('@daisy/ace-logger');

async function main() {
  const [outdir, ...books] = process.argv.slice(2);
  logger.initLogger({ verbose: false, silent: true, fileName: 'ace-batch.log' });
  const launch = runner.launch.bind(runner);
  const close = runner.close.bind(runner);
  await launch();
  // Ace launches and closes the runner for each book: keep the one browser open instead.
  runner.launch = async () => {};
  runner.close = async () => {};
  let status = 0;
  for (const [index, book] of books.entries()) {
    const write = process.stdout.write;
    try {
      // Without an outdir, Ace prints the report to stdout; it is taken from the result instead.
      process.stdout.write = () => true;
      const [, report] = await ace(book, { cwd: process.cwd(), jobId: '' }, runner);
      process.stdout.write = write;
      fs.mkdirSync(path.join(outdir, String(index)), { recursive: true });
      fs.writeFileSync(path.join(outdir, String(index), 'report.json'), JSON.stringify(report));
    } catch (error) {
      process.stdout.write = write;
      console.error(`${book}: ${error && error.message ? error.message : error}`);
      status = 1;
    }
  }
  await close();
  process.exit(status);
}

main();
