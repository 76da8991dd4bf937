/*
 * Form helpers: read the fields, show errors where they belong, and the busy state of
 * the submit button; and a timestamp as the lists of the account view show it. Text from
 * the server or the user only ever goes in through .text().
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;

  function fieldNamed($form, name) {
    return $form.find('[name]').filter(function () { return this.name === name; }).first();
  }

  function feedbackOf($input) {
    return $('#' + $input.attr('id') + '-error');
  }

  // Every named input as {name: value}; checkboxes as true/false, as the API expects.
  function values($form) {
    const data = {};
    $form.find('input[name]').each(function () {
      const $input = $(this);
      data[this.name] = $input.is(':checkbox') ? $input.prop('checked') : $input.val();
    });
    return data;
  }

  function clearField($input) {
    $input.removeClass('is-invalid').removeAttr('aria-invalid');
    feedbackOf($input).empty();
  }

  function clearAlert($form) {
    $form.find('.form-alert').removeClass('alert alert-danger').empty();
    $form.find('.form-status').removeClass('alert alert-success').empty();
  }

  function clearErrors($form) {
    clearAlert($form);
    $form.find('.is-invalid').each(function () { clearField($(this)); });
  }

  function showAlert($form, lines) {
    const $alert = $form.find('.form-alert').addClass('alert alert-danger').empty();
    $.each(lines, function (_, line) {
      $('<div>').text(line).appendTo($alert);
    });
  }

  // That the form did what was asked, in its polite status region.
  function showStatus($form, message) {
    $form.find('.form-status').addClass('alert alert-success').text(message);
  }

  // Field errors under their fields; a general message (or errors for fields this form
  // does not have) in the form's alert region. Moves focus to what needs fixing.
  function showErrors($form, failure, $returnFocus) {
    const general = [];
    $.each(failure.fields || {}, function (name, problems) {
      const $input = fieldNamed($form, name);
      const list = Array.isArray(problems) ? problems : [String(problems)];
      if (!$input.length || $input.attr('type') === 'hidden') {
        $.each(list, function (_, problem) { general.push(name + ': ' + problem); });
        return;
      }
      $input.addClass('is-invalid').attr('aria-invalid', 'true');
      const $feedback = feedbackOf($input).empty();
      $.each(list, function (_, problem) { $('<div>').text(problem).appendTo($feedback); });
    });
    // The first field in reading order, whatever order the server listed them in.
    const $first = $form.find('.is-invalid').first();
    if (!$first.length || general.length) {
      showAlert($form, [failure.message].concat(general));
    }
    const $target = $first.length ? $first : $returnFocus;
    if ($target && $target.length) {
      $target.trigger('focus');
    }
  }

  function setBusy($form, busy) {
    const $button = $form.find('[type=submit]');
    const $label = $button.find('.button-label');
    if (busy) {
      $button.data('idle-label', $label.text());
      $label.text($button.data('busy-label') || $label.text());
    } else if ($button.data('idle-label')) {
      $label.text($button.data('idle-label'));
    }
    $button.prop('disabled', busy);
    $button.find('.spinner-border').prop('hidden', !busy);
    if (busy) {
      $form.attr('aria-busy', 'true');
    } else {
      $form.removeAttr('aria-busy');
    }
    $form.data('busy', busy);
  }

  // A readable local time for an ISO 8601 timestamp, in a <time> that keeps the original.
  function timeOf(iso) {
    const date = new Date(iso);
    const $time = $('<time>').attr('datetime', iso);
    if (isNaN(date.getTime())) {
      return $time.text(iso);
    }
    return $time.text(date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }));
  }

  // Submit handling shared by every form: one request at a time, errors shown, success
  // handed to onSuccess (or onFailure first, which returns true when it dealt with it).
  function handle($form, request, onSuccess, onFailure) {
    $form.on('input change', '.is-invalid', function () {
      clearField($(this));
    });
    $form.on('submit', function (event) {
      event.preventDefault();
      if ($form.data('busy')) {
        return;
      }
      const $returnFocus = $(document.activeElement).closest($form.find('input, button'));
      clearErrors($form);
      setBusy($form, true);
      request(values($form))
        .always(function () { setBusy($form, false); })
        .done(onSuccess)
        .fail(function (xhr) {
          if (onFailure && onFailure(xhr)) {
            return;
          }
          showErrors($form, api.failure(xhr), $returnFocus);
        });
    });
  }

  window.AuthForms = {
    clearErrors: clearErrors,
    showAlert: showAlert,
    showStatus: showStatus,
    showErrors: showErrors,
    handle: handle,
    timeOf: timeOf
  };
}(window.jQuery, window));
