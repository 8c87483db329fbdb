// Drives the engagement timeline preview (the real component, compiled by the LWC compiler, in
// synthetic shadow with SLDS) in Debian's Chromium, the way a rep uses it, and writes the
// screenshot the README shows.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPreview } from '../../scripts/preview/build.js';
import { startPreviewServer, type PreviewServer } from '../../scripts/preview/serve.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.join(repoRoot, 'docs/images/engagement-timeline.png');
// Thursday, March 12, 2026, 3:30 PM in New York: relative times and day headings are reproducible.
const NOW = new Date('2026-03-12T19:30:00.000Z');
const PAGE_SIZE = 10;
const ENGAGED_EVENT_COUNT = 28;

let browser: Browser;
let server: PreviewServer;
let outDir: string;
const contexts: BrowserContext[] = [];

interface OpenedPreview {
  page: Page;
  card: Locator;
  errors: string[];
}

// The preview answers after 350 ms by default, like a real org; the test needs no such wait.
async function openPreview(query = ''): Promise<OpenedPreview> {
  const context = await browser.newContext({
    viewport: { width: 1200, height: 900 },
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'America/New_York',
    reducedMotion: 'reduce',
  });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      errors.push(message.text());
    }
  });
  await page.clock.setFixedTime(NOW);
  await page.goto(`${server.url}${query ? `${query}&` : '?'}latency=30`);
  const card = page.getByRole('article', { name: 'Email engagement' });
  await card.waitFor();
  return { page, card, errors };
}

// Reps click the visible label of a filter (SLDS hides the radio itself).
const chooseFilter = (card: Locator, label: string) =>
  card.getByRole('group', { name: 'Show' }).getByText(label, { exact: true }).click();
const eventTitles = (card: Locator) => card.getByRole('heading', { level: 4 });
const dayHeadings = (card: Locator) => card.getByRole('heading', { level: 3 });

async function tileValue(card: Locator, term: string): Promise<string> {
  const tile = card
    .locator('dl > div')
    .filter({ has: card.page().getByRole('term').getByText(term, { exact: true }) });
  return (await tile.locator('[data-id="value"]').innerText()).trim();
}

describe('engagement timeline preview in Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed (${CHROMIUM} is missing), so the engagement timeline cannot be tested in a real ` +
          "browser. Install Debian's package: sudo apt-get install -y chromium (.ci/run installs it in CI).",
      );
    }
    outDir = await mkdtemp(path.join(tmpdir(), 'engagement-preview-'));
    await buildPreview({ outDir });
    server = await startPreviewServer({ root: outDir, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) {
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it('shows an engaged lead the summary header and the newest events grouped by day, and saves the screenshot', async () => {
    const { page, card, errors } = await openPreview();
    await expect.poll(() => eventTitles(card).count()).toBe(PAGE_SIZE);

    expect(await tileValue(card, 'Engagement score')).toBe('72');
    expect(await tileValue(card, 'Last clicked')).toBe('2 hours ago');
    expect(await tileValue(card, 'Email')).toBe('OK to email');
    expect(await tileValue(card, 'Responsys sync')).toBe('Synced');

    expect(await dayHeadings(card).allInnerTexts()).toEqual(['TODAY', 'YESTERDAY', 'MONDAY, MARCH 9']);
    expect((await eventTitles(card).allInnerTexts()).slice(0, 5)).toEqual([
      'Clicked a link',
      'Clicked a link',
      'Opened the email',
      'Email sent',
      'Converted',
    ]);
    const pricing = card.getByRole('link', { name: 'See pricing (opens in a new tab)' });
    expect(await pricing.getAttribute('href')).toContain('/pricing');
    const firstTime = card.locator('[data-id="event"] time').first();
    expect(await firstTime.innerText()).toBe('2 hours ago');
    expect((await firstTime.getAttribute('title'))?.replace(/\s+/g, ' ')).toBe('Mar 12, 2026, 1:26 PM EDT');
    expect(await card.getByText('Order: TRIAL-58213').count()).toBe(1);
    // Every icon is drawn from the SLDS sprite, not left blank.
    const iconsDrawn = await card
      .locator('[data-id="event"] svg')
      .evaluateAll((icons) => icons.every((icon) => (icon as SVGGraphicsElement).getBBox().width > 0));
    expect(iconsDrawn).toBe(true);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: SCREENSHOT });
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1200);
    expect(png.readUInt32BE(20)).toBe(900);
    expect(errors).toEqual([]);
  });

  it('filters by keyboard: arrow keys in the filter group show only clicks, fetched from the server', async () => {
    const { card, errors } = await openPreview();
    await expect.poll(() => eventTitles(card).count()).toBe(PAGE_SIZE);

    await card.getByRole('radio', { name: 'All' }).focus();
    await card.page().keyboard.press('ArrowRight');
    await card.page().keyboard.press('ArrowRight');

    await expect.poll(() => card.getByRole('radio', { name: 'Clicks' }).isChecked()).toBe(true);
    await expect
      .poll(async () => [...new Set(await eventTitles(card).allInnerTexts())])
      .toEqual(['Clicked a link']);
    expect(await eventTitles(card).count()).toBe(6);
    expect(await card.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    expect(await card.getByRole('link').count()).toBe(6);
    expect(errors).toEqual([]);
  });

  it('loads older pages with "Load more" until the whole history is shown, without duplicates', async () => {
    const { page, card, errors } = await openPreview();
    await expect.poll(() => eventTitles(card).count()).toBe(PAGE_SIZE);

    await card.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => eventTitles(card).count()).toBe(2 * PAGE_SIZE);
    // The first older event takes focus, so a keyboard user continues where the list grew.
    const focused = (await card.locator('[data-item-id]:focus').innerText()).replace(/\s+/g, ' ');
    expect(focused).toContain('Email sent Logistics Insights: March issue');
    // Monday's events span two pages but stay under one heading.
    expect((await dayHeadings(card).allInnerTexts()).filter((day) => day === 'MONDAY, MARCH 9')).toHaveLength(
      1,
    );

    await card.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => eventTitles(card).count()).toBe(ENGAGED_EVENT_COUNT);
    await expect.poll(() => card.getByText('Beginning of the email history').count()).toBe(1);
    expect(await card.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    expect(await page.locator('[aria-live="polite"]').innerText()).toBe(
      'Loaded 8 older events. That is the whole history.',
    );

    const ids = await card
      .locator('[data-id="event"]')
      .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.itemId));
    expect(new Set(ids).size).toBe(ENGAGED_EVENT_COUNT);
    const times = await card
      .locator('[data-id="event"] [data-id="when"] time')
      .evaluateAll((items) => items.map((item) => item.getAttribute('datetime') ?? ''));
    expect(times).toEqual([...times].sort().reverse());
    expect(errors).toEqual([]);
  });

  it('brings in new engagement on Refresh, which the client-side cache alone would keep hidden', async () => {
    const { page, card, errors } = await openPreview();
    await expect.poll(() => eventTitles(card).count()).toBe(PAGE_SIZE);

    await page.evaluate(() =>
      (
        window as unknown as { responsysPreview: { recordEngagement(event: Record<string, string>): void } }
      ).responsysPreview.recordEngagement({
        eventType: 'Clicked',
        campaignName: 'Spring Launch: Route Optimizer',
        offerName: 'Book a demo',
        offerUrl: 'https://www.northwind-logistics.example/demo',
      }),
    );
    // Switching away and back is answered from the cache of the cacheable Apex method: still stale.
    await chooseFilter(card, 'Opens');
    await expect
      .poll(async () => [...new Set(await eventTitles(card).allInnerTexts())])
      .toEqual(['Opened the email']);
    await chooseFilter(card, 'All');
    await expect.poll(() => eventTitles(card).count()).toBe(PAGE_SIZE);
    expect(await card.getByRole('link', { name: /Book a demo/ }).count()).toBe(0);

    await card.getByRole('button', { name: 'Refresh email engagement' }).click();

    await expect.poll(() => card.getByRole('link', { name: /Book a demo/ }).count()).toBe(1);
    expect(await tileValue(card, 'Last clicked')).toBe('now');
    expect(await tileValue(card, 'Engagement score')).toBe('75');
    expect(await page.locator('[aria-live="polite"]').innerText()).toBe('Email engagement refreshed.');
    expect(errors).toEqual([]);
  });

  it('explains a failed sync in plain words and shows the raw error only on demand', async () => {
    const { card, errors } = await openPreview('?scenario=sync-failed');
    await card.getByText('The last sync with Responsys failed.').waitFor();

    expect(await tileValue(card, 'Responsys sync')).toBe('Sync failed');
    await expect
      .poll(() =>
        card.getByText('Responsys rejected the email address as invalid.', { exact: false }).count(),
      )
      .toBe(1);
    const raw = card.getByText('MERGEFAILED: Record 0 = INVALID_PARAMETER: Bad Email Format');
    expect(await raw.isVisible()).toBe(false);

    const toggle = card.getByRole('button', { name: 'Show details' });
    await toggle.click();

    expect(await raw.isVisible()).toBe(true);
    expect(await card.getByRole('button', { name: 'Hide details' }).getAttribute('aria-expanded')).toBe(
      'true',
    );
    expect(
      await card
        .getByText('Reason: The mailbox does not exist (550 5.1.1 recipient address rejected)')
        .count(),
    ).toBe(1);
    expect(errors).toEqual([]);
  });

  it('tells a rep without access what to ask their admin for', async () => {
    const { card, errors } = await openPreview('?scenario=error');

    await card.getByRole('alert').waitFor();
    expect(await card.getByRole('alert').innerText()).toContain(
      "You don't have access to Responsys engagement. Ask your Salesforce admin for the Responsys Engagement Viewer permission set.",
    );
    expect(await card.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('says so when a new contact has no email activity yet', async () => {
    const { card, errors } = await openPreview('?scenario=empty');

    await card.getByRole('heading', { name: 'No email activity yet' }).waitFor();
    expect(
      await card
        .getByText('When Responsys emails this contact, sends, opens and clicks show up here.')
        .count(),
    ).toBe(1);
    expect(await tileValue(card, 'Responsys sync')).toBe('Sync pending');
    expect(errors).toEqual([]);
  });

  it('passes axe (WCAG 2.1 AA, colour contrast included) with the timeline, filters and details open', async () => {
    const require = createRequire(import.meta.url);
    const axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
    for (const query of ['', '?scenario=sync-failed', '?scenario=opted-out']) {
      const { page, card } = await openPreview(query);
      await expect.poll(() => card.locator('[data-id="event"]').count()).toBeGreaterThan(0);
      const toggle = card.getByRole('button', { name: 'Show details' });
      if (await toggle.count()) {
        await toggle.click();
      }
      await page.addScriptTag({ content: axeSource });
      const violations = await page.evaluate(async () => {
        const axe = (
          window as unknown as { axe: { run: (...args: unknown[]) => Promise<{ violations: unknown[] }> } }
        ).axe;
        const result = await axe.run(document.querySelector('c-responsys-engagement-timeline'), {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
        });
        return (result.violations as { id: string; nodes: { target: string[] }[] }[]).map(
          (violation) =>
            `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
        );
      });
      expect(violations, `axe violations for "${query || 'engaged'}"`).toEqual([]);
    }
  });
});
