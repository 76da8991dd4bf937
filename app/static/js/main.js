/*
 * Start the page once every module has said which paths it shows: the view of this path.
 */
(function ($, window) {
  'use strict';

  const page = window.AuthPage;

  $(function () {
    page.start();
  });
}(window.jQuery, window));
