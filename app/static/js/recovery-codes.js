/*
 * The recovery codes of two-factor authentication, shown once after they are made: the
 * list, a copy button, a download as a text file, and "Done", which takes them off the page.
 */
(function ($, window) {
  'use strict';

  const FILE_NAME = 'recovery-codes.txt';
  // The panel, its list, message and status line, found once the document is ready.
  let $panel = null;
  let $list = null;
  let $message = null;
  let $status = null;
  let codes = [];

  function say(text) {
    $status.text(text);
  }

  function asText() {
    return codes.join('\n') + '\n';
  }

  function show(newCodes, message) {
    codes = newCodes.slice();
    $list.empty();
    $.each(codes, function (_, code) {
      $('<li class="col">').text(code).appendTo($list);
    });
    $message.text(message || '');
    say('');
    $panel.prop('hidden', false);
    $('#recovery-codes-title').trigger('focus');
  }

  // Off the page: the codes stay in no element and no variable.
  function hide() {
    codes = [];
    $list.empty();
    $message.empty();
    say('');
    $panel.prop('hidden', true);
  }

  window.AuthRecoveryCodes = { show: show, hide: hide };

  $(function () {
    $panel = $('#recovery-codes');
    $list = $('#recovery-codes-list');
    $message = $('#recovery-codes-message');
    $status = $('#recovery-codes-status');

    $('#recovery-codes-copy').on('click', function () {
      const clipboard = window.navigator.clipboard;
      if (!clipboard || !clipboard.writeText) {
        say('This browser cannot copy here: select the codes, or download them.');
        return;
      }
      say('');
      clipboard.writeText(asText()).then(function () {
        say('Copied');
      }, function () {
        say('The codes could not be copied: select them, or download them.');
      });
    });

    $('#recovery-codes-download').on('click', function () {
      const url = window.URL.createObjectURL(new window.Blob([asText()], { type: 'text/plain' }));
      const $link = $('<a hidden>').attr({ href: url, download: FILE_NAME }).appendTo(window.document.body);
      $link[0].click();
      $link.remove();
      // Once the download has begun with it.
      window.setTimeout(function () { window.URL.revokeObjectURL(url); }, 1000);
      say('Downloaded as ' + FILE_NAME);
    });

    $('#recovery-codes-done').on('click', function () {
      hide();
      $(window.document).trigger('mfa:codes-done');
    });

    $(window.document).on('page:show', hide);
  });
}(window.jQuery, window));
