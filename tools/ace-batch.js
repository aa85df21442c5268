'use strict';
// Ace by DAISY over several EPUBs in one Node process with one browser (pipeline/validators.py runs it).
// `ace` (the CLI) starts Node and Chromium again for every book; for a build of many sources that is
// most of the time. Usage: node ace-batch.js OUTDIR EPUB...  -> OUTDIR/<index>/report.json per book.
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
    try {
      await ace(book, { cwd: process.cwd(), outdir: path.join(outdir, String(index)), jobId: '' }, runner);
    } catch (error) {
      console.error(`${book}: ${error && error.message ? error.message : error}`);
      status = 1;
    }
  }
  await close();
  process.exit(status);
}

main();
