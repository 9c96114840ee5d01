"""Issue 15 ("The postal worker's day on a phone, the officer's desk and the citizen's privacy"): each numbered item
and the browser tests (360 px, Chromium) that walk what it complains about, through the page as a user would.
Each listed test keeps a screenshot named ``issue15-item<N>-<what>`` in test-artifacts/screenshots/ (item 4's
walk keeps ``fits-360-<role>-<page>`` for every page of every role).

====  =================================================================  ===============================================
item  what a browser test checks                                         tests (module :: function)
====  =================================================================  ===============================================
1     cash taken with no shift open lands in the shift the first cash    app.test_issue15_browser ::
      intake opens; the cash book and the post's receipt (consignment      test_item1_cash_taken_with_no_shift_open_...
      slip) say what was collected, how and by whom                      app.test_postal_worker_day :: test_a_postal_...
2     a bad file is named and the good pages kept; pages reordered and   dossiers.test_intake_photos ::
      deleted reach the dossier as one PDF; a camera photo is sent       test_pages_survive_a_bad_file_are_reordere...,
      small, with a progress bar per file                                test_a_camera_sized_photo_is_made_small_on_...
3     "Giao kết quả cho bưu chính" is not "returned": the lookup shows   app.test_issue15_browser ::
      the post has it, "returned" only after the delivery event; the       test_item3_the_result_with_the_post_...
      result file is taken; scans open by short-lived audited links
4     every page of every role fits 360 px; the worker's bottom bar      app.test_every_page_fits_phone ::
                                                                           test_every_page_fits_a_360_px_phone_...
5     code inputs take the code, the lookup address or the shipment      app.test_issue15_browser ::
      number; a photo of the QR code where no camera scan works            test_item5_code_inputs_take_the_lookup_...
                                                                         tracking.test_handheld_phone ::
                                                                           test_a_photo_of_the_slips_qr_code_...,
                                                                           test_the_officers_receive_screen_reads_...
6     no dead buttons: "Quét mã QR" and "Chia sẻ" only where they work;  tracking.test_handheld_phone ::
      sharing sends the public lookup link                                 test_no_scan_button_where_nothing_can_...
                                                                         app.test_issue15_browser ::
                                                                           test_item6_share_shows_only_where_...
7     intake search without accents; the office's most used first        dossiers.test_intake_procedure_choice ::
                                                                           test_procedure_step_fits_a_phone
8     the handheld shows the leg's state and only the allowed events,    tracking.test_handheld_phone ::
      names the event in each line, "already recorded" is a success,       test_only_allowed_events_are_offered_...,
      an offline reload works after the first visit                        test_an_event_resent_after_a_lost_answer_...,
                                                                           test_offline_reload_works_after_the_first_...
9     the day's run sheet: due time then distance, map and phone links,  tracking.test_run_sheet_phone ::
      offline, updated as events are recorded                              test_run_sheet_fits_a_phone_opens_offline_...
10    no transfer to the department before the paper is signed for;     app.test_issue15_browser ::
      the history in time order                                            test_item10_the_officer_cannot_transfer_...
11    the agency admin's SLA page and statistics PDF; the operator's     app.test_issue15_browser ::
      calendar page; lowering a national limit lists the contracts and     test_item11_the_agency_admin_opens_...,
      asks for confirmation; the catalogue review page                     test_item11_lowering_a_national_limit_...
                                                                         calendar.test_calendar_page ::
                                                                           test_the_calendar_page_on_a_360_px_phone
                                                                         catalogue.test_catalogue_review ::
                                                                           test_the_review_page_on_a_360_px_phone
12    favicon; disabled buttons look disabled; money by language;        app.test_issue15_browser ::
      English strings translated; lines saved before a switch        test_item12_favicon_disabled_buttons_...
      show in the chosen language                                        tracking.test_handheld_language ::
                                                                           test_lines_saved_before_switching_language_...
13    lookup by ID number masks names until the one-time code to the     app.test_issue15_browser ::
      phone on file; asking codes is rate limited (429 page)               test_item13_lookup_by_id_number_masks_...
done  a postal worker's whole day by taps on the demo data, and the      app.test_postal_worker_day ::
when  cash book, the remittance and what was collected agree               test_a_postal_workers_whole_day_by_touch_...
====  =================================================================  ===============================================

This module imports every listed test by name, so a test renamed or removed breaks the table here, not silently.
"""
from __future__ import annotations

import importlib

import pytest

#: item -> the browser tests that walk it, as "tests.<area>.<module>::<function>"
B = "tests.app.test_issue15_browser::"
H = "tests.tracking.test_handheld_phone::"
R = "tests.tracking.test_run_sheet_phone::"
P = "tests.dossiers.test_intake_photos::"
DAY = "tests.app.test_postal_worker_day::test_a_postal_workers_whole_day_by_touch_on_the_demo_data"
ITEMS: dict[str, tuple[str, ...]] = {
    "1": (B + "test_item1_cash_taken_with_no_shift_open_is_in_the_cash_book_and_on_the_receipt__dieu_23_4", DAY),
    "2": (P + "test_pages_survive_a_bad_file_are_reordered_deleted_and_reach_the_dossier_as_one_pdf",
          P + "test_a_camera_sized_photo_is_made_small_on_the_phone_before_it_is_sent",
          DAY),
    "3": (B + "test_item3_the_result_with_the_post_is_not_returned_until_delivered__dieu_25_2",),
    "4": ("tests.app.test_every_page_fits_phone::test_every_page_fits_a_360_px_phone_for_every_role",),
    "5": (B + "test_item5_code_inputs_take_the_lookup_address_and_the_shipment_number",
          H + "test_a_photo_of_the_slips_qr_code_fills_the_code_without_a_camera",
          H + "test_the_officers_receive_screen_reads_a_photo_of_the_qr_code"),
    "6": (H + "test_no_scan_button_where_nothing_can_read_a_code",
          B + "test_item6_share_shows_only_where_the_phone_can_share_and_sends_the_public_lookup"),
    "7": ("tests.dossiers.test_intake_procedure_choice::test_procedure_step_fits_a_phone",),
    "8": (H + "test_only_allowed_events_are_offered_and_each_result_names_its_event_dieu_21_1",
          H + "test_an_event_resent_after_a_lost_answer_is_shown_as_already_recorded",
          H + "test_offline_reload_works_after_the_first_visit"),
    "9": (R + "test_run_sheet_fits_a_phone_opens_offline_and_follows_the_handheld",),
    "10": (B + "test_item10_the_officer_cannot_transfer_before_signing_for_the_paper__dieu_12_1_d",),
    "11": (B + "test_item11_the_agency_admin_opens_the_sla_page_and_the_statistics_pdf__dieu_25_2",
           B + "test_item11_lowering_a_national_limit_asks_for_confirmation_listing_the_contracts__dieu_22_5",
           "tests.calendar.test_calendar_page::test_the_calendar_page_on_a_360_px_phone",
           "tests.catalogue.test_catalogue_review::test_the_review_page_on_a_360_px_phone"),
    "12": (B + "test_item12_favicon_disabled_buttons_and_the_english_page",
           "tests.tracking.test_handheld_language::"
           "test_lines_saved_before_switching_language_show_in_the_chosen_language"),
    "13": (B + "test_item13_lookup_by_id_number_masks_names_until_the_one_time_code",),
    "done when": (DAY,),
}

#: numbered items with no browser test here, and why (none today)
ELSEWHERE: dict[str, str] = {}

BROWSER_FIXTURES = {"phone", "browser", "live_server"}


def _function(reference: str):
    module, name = reference.split("::")
    return getattr(importlib.import_module(module), name)


def test_every_numbered_item_has_a_browser_test_or_a_reason():
    assert set(ITEMS) | set(ELSEWHERE) == {str(n) for n in range(1, 14)} | {"done when"}
    assert not set(ITEMS) & set(ELSEWHERE)


@pytest.mark.parametrize("reference", sorted({ref for refs in ITEMS.values() for ref in refs}))
def test_each_listed_test_exists_drives_a_browser_and_keeps_its_table_row(reference):
    function = _function(reference)
    parameters = set(function.__code__.co_varnames[:function.__code__.co_argcount])
    assert parameters & BROWSER_FIXTURES, f"{reference} does not drive a browser"
    module, name = reference.split("::")
    # the docstring's table names the module and the start of the function's name
    assert module.removeprefix("tests.") in __doc__ and name[:30] in __doc__, reference
