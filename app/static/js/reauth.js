/*
 * The password prompt of a sensitive action: when the server answers that it wants the
 * password again, ask for it, confirm it with /reauthenticate, and send the action again.
 * Where the account has a passkey and the browser can use it, the prompt offers it instead
 * of the password. ``AuthReauth.guard(request)`` wraps any call that returns a promise.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const session = window.AuthSession;
  // The prompt's two forms and its Bootstrap modal, found once the document is ready.
  let $form = null;
  let $passkeyForm = null;
  let modal = null;
  // Whether the account has a passkey, as the account view last listed them.
  let hasPasskeys = false;
  // The actions that wait for the prompt: each {retry, cancel}.
  let waiting = [];
  let confirmed = false;
  let opener = null;

  function focusBack() {
    if (opener && window.document.contains(opener) && !opener.disabled) {
      opener.focus();
    }
    opener = null;
  }

  function ask(retry, cancel) {
    waiting.push({ retry: retry, cancel: cancel });
    if (waiting.length === 1) {
      opener = window.document.activeElement;
      confirmed = false;
      $form.trigger('reset');
      forms.clearErrors($form);
      forms.clearErrors($passkeyForm);
      $passkeyForm.prop('hidden', !(hasPasskeys && api.supportsPasskeys()));
      modal.show();
    }
  }

  window.AuthReauth = {
    // ``request(fields)``, asking for the password and trying again when it must.
    guard: function (request) {
      return function (fields) {
        const result = $.Deferred();
        request(fields)
          .done(function (body) { result.resolve(body); })
          .fail(function (xhr) {
            if (!api.needsReauthentication(xhr)) {
              result.reject(xhr);
              return;
            }
            ask(function () {
              request(fields)
                .done(function (body) { result.resolve(body); })
                .fail(function (again) { result.reject(again); })
                .always(focusBack);
            }, function () {
              result.reject(xhr);
            });
          });
        return result.promise();
      };
    }
  };

  $(function () {
    const $modal = $('#reauth-modal');
    $form = $('#reauth-form');
    $passkeyForm = $('#reauth-passkey-form');
    modal = window.bootstrap.Modal.getOrCreateInstance($modal[0]);
    const withPasskey = api.ceremony(api.beginReauthPasskey, api.finishReauthPasskey, false);

    $modal.on('shown.bs.modal', function () {
      $form.find('[name=password]').trigger('focus');
    });

    // Closed: by a confirmed password (every waiting action goes again), else cancelled.
    $modal.on('hidden.bs.modal', function () {
      const done = waiting;
      waiting = [];
      $form.trigger('reset');
      forms.clearErrors($form);
      forms.clearErrors($passkeyForm);
      $.each(done, function (_, action) {
        if (confirmed) {
          action.retry();
        } else {
          action.cancel();
        }
      });
      if (!confirmed) {
        focusBack();
      }
    });

    forms.handle($form, api.reauthenticate, function () {
      confirmed = true;
      modal.hide();
    }, function (xhr) {
      // A wrong password: under the field, as the login form would show it.
      if (xhr.status === 403 && !api.isCsrfFailure(xhr)) {
        const failure = api.failure(xhr);
        forms.showErrors($form, { message: failure.message, fields: { password: [failure.message] } });
        return true;
      }
      // The session ended meanwhile: the logged-out view, which closes the prompt.
      if (xhr.status === 401) {
        session.showLoggedOut(true);
        return true;
      }
      return false;
    });

    // A passkey instead: its refusal (by the browser or the server) in this form's alert.
    forms.handle($passkeyForm, function () {
      return withPasskey();
    }, function () {
      confirmed = true;
      modal.hide();
    }, function (xhr) {
      if (xhr.status === 401 && !api.passkeyRefused(xhr)) {
        session.showLoggedOut(true);
        return true;
      }
      return false;
    });

    $(window.document).on('passkeys:listed', function (_, count) {
      hasPasskeys = count > 0;
    });

    // Nobody logged in: no prompt.
    $(window.document).on('page:show', function (_, name) {
      if (name !== 'logged-in') {
        hasPasskeys = false;
        modal.hide();
      }
    });
  });
}(window.jQuery, window));
