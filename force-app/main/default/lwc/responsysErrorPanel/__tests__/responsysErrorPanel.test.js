import { createElement } from 'lwc';
import ResponsysErrorPanel from 'c/responsysErrorPanel';

function mount(properties) {
  const element = createElement('c-responsys-error-panel', { is: ResponsysErrorPanel });
  Object.assign(element, properties);
  document.body.appendChild(element);
  return element;
}

const $ = (element, selector) => element.shadowRoot.querySelector(selector);
const normalize = (text) => (text || '').replace(/\s+/g, ' ').trim();

const failure = {
  heading: "We couldn't load email engagement.",
  message: 'Salesforce could not be reached. Check your internet connection, then try again.',
  details: ['HTTP 503 Service Unavailable', 'Failed to fetch'],
};

describe('c-responsys-error-panel', () => {
  afterEach(() => {
    while (document.body.firstChild) {
      document.body.removeChild(document.body.firstChild);
    }
  });

  it('announces a failed action with its plain sentence and keeps the details folded', () => {
    const element = mount(failure);

    expect($(element, '[data-id="error-panel"]').getAttribute('role')).toBe('alert');
    expect(normalize($(element, '[data-id="error-title"]').textContent)).toBe(failure.heading);
    expect(normalize($(element, '[data-id="error-message"]').textContent)).toBe(failure.message);
    expect($(element, '[data-id="details"]').hidden).toBe(true);
    expect($(element, '[data-id="details-toggle"]').getAttribute('aria-expanded')).toBe('false');
    expect(normalize($(element, '[data-id="details-toggle"]').textContent)).toBe('Show details');
  });

  it('shows and hides the technical details on demand', async () => {
    const element = mount(failure);
    const toggle = $(element, '[data-id="details-toggle"]');

    toggle.click();
    await Promise.resolve();
    expect($(element, '[data-id="details"]').hidden).toBe(false);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(normalize(toggle.textContent)).toBe('Hide details');
    expect(Array.from(element.shadowRoot.querySelectorAll('li')).map((li) => li.textContent)).toEqual(
      failure.details,
    );

    toggle.click();
    await Promise.resolve();
    expect($(element, '[data-id="details"]').hidden).toBe(true);
  });

  it('fires retry when the rep presses the retry button', () => {
    const element = mount({ ...failure, retryLabel: 'Try again' });
    const handler = jest.fn();
    element.addEventListener('retry', handler);

    $(element, '[data-id="retry"]').click();

    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('shows a standing warning without interrupting screen reader users, and no buttons when there is nothing to do', () => {
    const element = mount({
      heading: 'The last sync with Responsys failed.',
      message: 'It will retry.',
      variant: 'warning',
    });

    expect($(element, '[data-id="error-panel"]').getAttribute('role')).toBeNull();
    expect($(element, '[data-id="error-panel"]').className).toContain('panel_warning');
    expect($(element, '[data-id="details-toggle"]')).toBeNull();
    expect($(element, '[data-id="retry"]')).toBeNull();
    expect(normalize($(element, '.slds-assistive-text').textContent)).toBe('Warning');
  });

  it('is accessible folded, unfolded and as a warning', async () => {
    const folded = mount({ ...failure, retryLabel: 'Try again' });
    await expect(folded).toBeAccessible();

    const unfolded = mount(failure);
    $(unfolded, '[data-id="details-toggle"]').click();
    await Promise.resolve();
    await expect(unfolded).toBeAccessible();

    const warning = mount({ heading: 'Sync failed.', message: 'It will retry.', variant: 'warning' });
    await expect(warning).toBeAccessible();
  });
});
