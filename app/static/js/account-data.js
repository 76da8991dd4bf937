/*
 * "Your data" in the account view: download everything stored about the account as a JSON
 * file, and delete the account behind a confirmation dialog that asks for the password. When
 * the server wants the password again first, the dialog steps aside for the page's password
 * prompt (one modal at a time), and comes back if the deletion is then refused.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const page = window.AuthPage;
  const session = window.AuthSession;
  const reauth = window.AuthReauth;
  const FILE_NAME = 'account-export.json';

  // Save ``text`` as a file named ``name``, as a download the browser starts.
  function download(text, name) {
    const url = window.URL.createObjectURL(new window.Blob([text], { type: 'application/json' }));
    const $link = $('<a hidden>').attr({ href: url, download: name }).appendTo(window.document.body);
    $link[0].click();
    $link.remove();
    // Once the download has begun with it.
    window.setTimeout(function () { window.URL.revokeObjectURL(url); }, 1000);
  }

  $(function () {
    const $exportForm = $('#export-form');
    const $open = $('#delete-account-open');
    const $modal = $('#delete-account-modal');
    const $form = $('#delete-account-form');
    const modal = window.bootstrap.Modal.getOrCreateInstance($modal[0]);
    let shown = false;
    // What to do once the dialog has closed: the next step of the deletion, or nothing.
    let afterHidden = null;

    function reset() {
      $form.trigger('reset');
      forms.clearErrors($form);
    }

    // Close the dialog, then ``next()`` (at once if it is closed already).
    function closeThen(next) {
      if (!shown) {
        next();
        return;
      }
      afterHidden = next;
      modal.hide();
    }

    $modal.on('shown.bs.modal', function () {
      shown = true;
      $form.find('[name=password]').trigger('focus');
    });

    $modal.on('hidden.bs.modal', function () {
      shown = false;
      const next = afterHidden;
      afterHidden = null;
      if (next) {
        next();
        return;
      }
      // Cancelled (the button, the close button or Escape): nothing happened.
      if (!$form.data('busy')) {
        reset();
      }
      $open.trigger('focus');
    });

    $open.on('click', function () {
      reset();
      modal.show();
    });

    forms.handle($exportForm, api.exportAccount, function (body) {
      download(JSON.stringify(body.data, null, 2) + '\n', FILE_NAME);
      forms.showStatus($exportForm, 'Downloaded as ' + FILE_NAME);
    }, function (xhr) {
      if (xhr.status === 401) {
        session.showLoggedOut(true);
        return true;
      }
      return false;
    });

    // The deletion; when the server wants the password again, the dialog closes before the
    // prompt opens, with focus on the button that opened it (where a cancelled prompt
    // leaves it).
    const deleteAccount = reauth.guard(function (fields) {
      const result = $.Deferred();
      api.deleteAccount(fields)
        .done(function (body) { result.resolve(body); })
        .fail(function (xhr) {
          if (!api.needsReauthentication(xhr)) {
            result.reject(xhr);
            return;
          }
          closeThen(function () {
            $open.trigger('focus');
            result.reject(xhr);
          });
        });
      return result.promise();
    });

    // A refusal, in the dialog (opened again if the prompt had closed it): a wrong password
    // under the field, as the other account forms show it; anything else as they do.
    function showRefusal(xhr) {
      let failure = api.failure(xhr);
      if (xhr.status === 403 && !api.isCsrfFailure(xhr)) {
        failure = { message: failure.message, fields: { password: [failure.message] } };
      }
      if (shown) {
        forms.showErrors($form, failure);
        return;
      }
      $modal.one('shown.bs.modal', function () { forms.showErrors($form, failure); });
      modal.show();
    }

    forms.handle($form, deleteAccount, function (body) {
      closeThen(function () {
        reset();
        session.showLoggedOut(true);
        page.notify(body.message);
      });
    }, function (xhr) {
      if (xhr.status === 401) {
        closeThen(function () { session.showLoggedOut(true); });
        return true;
      }
      // The password prompt was cancelled: so is the deletion.
      if (api.needsReauthentication(xhr)) {
        reset();
        return true;
      }
      showRefusal(xhr);
      return true;
    });

    // A fresh start each time the view opens or closes: no password lingers in the page.
    $(window.document).on('page:show', function (_, name) {
      forms.clearErrors($exportForm);
      if (name !== 'logged-in' && shown) {
        closeThen(reset);
        return;
      }
      reset();
    });
  });
}(window.jQuery, window));
