import { createElement } from 'lwc';
import ResponsysErrorPanel from 'c/responsysErrorPanel';
import { describeError, describeSyncError, reduceErrors } from 'c/responsysErrors';

const ACTION = { action: 'load email engagement' };

describe('c/responsysErrors', () => {
  afterEach(() => {
    while (document.body.firstChild) {
      document.body.removeChild(document.body.firstChild);
    }
  });

  describe('reduceErrors', () => {
    it('collects messages from Apex, UI API, DML, JavaScript and string errors', () => {
      const errors = [
        { body: { message: 'Apex said no', exceptionType: 'System.AuraHandledException' } },
        { body: [{ message: 'UI API read failed' }, { message: 'and another' }] },
        {
          body: {
            pageErrors: [{ message: 'Page error' }],
            fieldErrors: { Email: [{ message: 'Bad email' }] },
          },
        },
        { body: { output: { errors: [], pageErrors: [{ message: 'Nested page error' }] } } },
        new TypeError('x is undefined'),
        'plain string',
        { statusText: 'Bad Gateway' },
        null,
        undefined,
      ];

      expect(reduceErrors(errors)).toEqual([
        'Apex said no',
        'UI API read failed',
        'and another',
        'Page error',
        'Bad email',
        'Nested page error',
        'x is undefined',
        'plain string',
        'Bad Gateway',
      ]);
    });

    it('accepts a single error and drops empty messages', () => {
      expect(reduceErrors({ body: { message: '  ' }, message: '' })).toEqual([]);
      expect(reduceErrors({ message: 'one' })).toEqual(['one']);
    });
  });

  describe('describeError', () => {
    it('turns a network failure into advice to check the connection, and can be retried', () => {
      const description = describeError({ status: 0, body: { message: 'Failed to fetch' } }, ACTION);

      expect(description).toEqual({
        title: "We couldn't load email engagement.",
        message: 'Salesforce could not be reached. Check your internet connection, then try again.',
        details: ['Failed to fetch'],
        retryable: true,
      });
    });

    it('points a rep without access to the permission set, without offering a pointless retry', () => {
      const description = describeError(
        {
          status: 400,
          statusText: 'Bad Request',
          body: {
            message: 'Insufficient access rights on object id',
            exceptionType: 'System.QueryException',
          },
        },
        ACTION,
      );

      expect(description.message).toBe(
        "You don't have access to Responsys engagement. Ask your Salesforce admin for the Responsys Engagement Viewer permission set.",
      );
      expect(description.retryable).toBe(false);
      expect(description.details).toEqual([
        'HTTP 400 Bad Request',
        'System.QueryException',
        'Insufficient access rights on object id',
      ]);
    });

    it('says a deleted or unshared record is gone', () => {
      expect(
        describeError({ status: 400, body: { message: 'ENTITY_IS_DELETED: entity is deleted' } }, ACTION)
          .message,
      ).toBe('This record no longer exists, or it is no longer shared with you.');
    });

    it('asks the rep to wait when Salesforce hits a limit', () => {
      const description = describeError(
        {
          status: 500,
          body: { message: 'Apex CPU time limit exceeded', exceptionType: 'System.LimitException' },
        },
        ACTION,
      );

      expect(description.message).toBe('Salesforce is busy right now. Wait a minute, then try again.');
      expect(description.retryable).toBe(true);
    });

    it('passes on a clear sentence written by the controller', () => {
      const description = describeError(
        { status: 400, body: { message: 'Engagement is only available on Leads and Contacts.' } },
        ACTION,
      );

      expect(description.message).toBe('Engagement is only available on Leads and Contacts.');
    });

    it('hides a system dump behind a generic sentence and keeps it in the details', () => {
      const raw = 'System.NullPointerException: Attempt to de-reference a null object (Class.Foo: line 3)';
      const description = describeError({ status: 500, body: { message: raw } }, ACTION);

      expect(description.message).toBe(
        'Something went wrong on our side. Try again; if it keeps happening, send the details to your Salesforce admin.',
      );
      expect(description.details).toContain(raw);
    });
  });

  describe('describeSyncError', () => {
    it('says nothing when the record is synced or pending', () => {
      expect(describeSyncError('Synced', null)).toBeUndefined();
      expect(describeSyncError('Pending', 'stale error')).toBeUndefined();
    });

    it.each([
      [
        'MERGEFAILED: Record 0 = INVALID_PARAMETER: Bad Email Format',
        'Responsys rejected the email address as invalid.',
      ],
      ['API_LIMIT_EXCEEDED: Request limit exceeded.', 'Responsys was busy'],
      ['INVALID_TOKEN: Not a valid authentication token', 'needs your admin’s attention'],
      ['PROFILE_LIST_NOT_FOUND', 'Your admin needs to fix the mapping.'],
      ['FIELD_CUSTOM_VALIDATION_EXCEPTION: Phone is required', 'validation rule'],
    ])('explains the sync error %s in a rep’s words', (raw, expected) => {
      const description = describeSyncError('Failed', raw);

      expect(description.title).toBe('The last sync with Responsys failed.');
      expect(description.message).toContain(expected);
      expect(description.details).toEqual([raw]);
    });

    it('falls back to a calm sentence for an unknown sync error', () => {
      expect(describeSyncError('Failed', 'ZX_42').message).toBe(
        'The bridge will try again. If this message is still here tomorrow, send the details to your Salesforce admin.',
      );
      expect(describeSyncError('Failed', null).details).toEqual([]);
    });
  });

  it('produces descriptions the error panel shows accessibly', async () => {
    const description = describeError({ status: 0, body: { message: 'Failed to fetch' } }, ACTION);
    const element = createElement('c-responsys-error-panel', { is: ResponsysErrorPanel });
    Object.assign(element, {
      heading: description.title,
      message: description.message,
      details: description.details,
      retryLabel: 'Try again',
    });
    document.body.appendChild(element);
    element.shadowRoot.querySelector('[data-id="details-toggle"]').click();
    await Promise.resolve();

    await expect(element).toBeAccessible();
  });
});
