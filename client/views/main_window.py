"""The main window: navigation by what the role may do, customer tabs, status bar."""
from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QMessageBox, QStyle, QTabWidget, QToolBar

from client.i18n import LANGUAGES, current_language, label, tr
from client.views.approvals_view import ApprovalsView
from client.views.archive_view import ArchiveView
from client.views.audit_view import AuditView
from client.views.customer_form import CustomerProfileForm
from client.views.customer_search import CustomerSearchView
from client.views.exporting import ExportRun, ask_export_path, run_with_progress
from client.views.orgs_admin import OrgTreeView
from client.views.staff_admin import StaffView
from shared.enums import ExportFormat

if TYPE_CHECKING:
    from client.app import Controller
    from client.views.second_factor import AuthenticatorDialog


class MainWindow(QMainWindow):
    """Signals: logout_requested(); language_requested(str); password_change_requested()."""

    logout_requested = Signal()
    language_requested = Signal(str)
    password_change_requested = Signal()

    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.controller = controller
        me = controller.me
        self.setWindowTitle(tr("Branch CRM"))
        self.resize(1100, 700)
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.setCentralWidget(self.tabs)
        self.search: CustomerSearchView | None = None
        self.export_run: ExportRun | None = None
        if controller.may("customer.lookup"):
            self.search = CustomerSearchView(controller)
            self.search.open_customer.connect(self.open_customer)
            self.search.new_customer.connect(lambda: self.open_customer(None))
            self.tabs.addTab(self.search, tr("Customers"))
        self.staff: StaffView | None = None
        self.approvals: ApprovalsView | None = None
        self.audit: AuditView | None = None
        self.org_tree: OrgTreeView | None = None
        self.archive: ArchiveView | None = None
        if controller.may("org.manage") or not controller.may("customer.lookup"):
            self.org_tree = OrgTreeView(controller)
            self.tabs.addTab(self.org_tree, tr("Organisations"))
        if controller.may("user.read"):
            self.staff = StaffView(controller)
            self.tabs.addTab(self.staff, tr("Staff"))
        if controller.may("approval.read"):
            self.approvals = ApprovalsView(controller)
            self.tabs.addTab(self.approvals, tr("Approvals"))
            controller.approval_submitted.connect(self.approvals.refresh)
            # the count of pending requests in the navigation ("Approvals (3)")
            self.approvals.counts_changed.connect(self._approvals_counted)
        if controller.may("audit.read"):
            self.audit = AuditView(controller)
            self.tabs.addTab(self.audit, tr("Audit trail"))
        for i in range(self.tabs.count()):  # the home tabs stay
            self.tabs.tabBar().setTabButton(i, self.tabs.tabBar().ButtonPosition.RightSide, None)
        # each role starts on its main screen: the customers, else the audit trail, else the staff
        home = self.search or self.audit or self.staff
        if home is not None:
            self.tabs.setCurrentWidget(home)
        menu = self.menuBar().addMenu(tr("&Session"))
        change = QAction(tr("Change password..."), self)
        change.triggered.connect(self.password_change_requested)
        menu.addAction(change)
        authenticator = QAction(tr("Set up a new authenticator..."), self)
        authenticator.triggered.connect(self.set_up_authenticator)
        menu.addAction(authenticator)
        logout = QAction(tr("Log out"), self)
        logout.triggered.connect(self.request_logout)
        menu.addAction(logout)
        quit_action = QAction(tr("Quit"), self)
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)
        view = self.menuBar().addMenu(tr("&View"))
        self.shortcut_actions: list[QAction] = []

        #: the common actions with icons, under the menus (each also in the View menu)
        self.toolbar = QToolBar(tr("Common actions"))
        self.toolbar.setObjectName("common-actions")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(self.toolbar)
        style = self.style()

        def action(menu: QMenu, text: str, keys: str, do: Callable[[], object],
                   icon: QStyle.StandardPixmap | None = None) -> QAction:
            """A menu entry with its shortcut (shown in the menu, its tooltip and on the Help page)."""
            act = QAction(text, self)
            act.setShortcut(QKeySequence(keys))  # portable text: Ctrl is Command on macOS
            act.triggered.connect(lambda _c=False: do())
            menu.addAction(act)
            self.shortcut_actions.append(act)
            if icon is not None:
                act.setIcon(style.standardIcon(icon))
                act.setToolTip(f"{text.removesuffix('...')} "
                               f"({act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
                self.toolbar.addAction(act)
            return act
        pixmap = QStyle.StandardPixmap
        if self.search is not None:
            action(view, tr("Find a customer"), "Ctrl+F", self.find_customer, pixmap.SP_FileDialogContentsView)
            if controller.may("customer.create"):
                action(view, tr("New customer"), "Ctrl+N", lambda: self.open_customer(None), pixmap.SP_FileIcon)
        if controller.may("customer.archive_read"):
            self.archive_action = QAction(tr("Deleted customers"), self)
            self.archive_action.triggered.connect(lambda _c=False: self.open_archive())
            view.addAction(self.archive_action)
        action(view, tr("Refresh"), "F5", self.refresh_current, pixmap.SP_BrowserReload)
        self.export_action = action(view, tr("Export list..."), "Ctrl+E", self.export_current, pixmap.SP_ArrowDown)
        # offered where the tab holds a list
        self.tabs.currentChanged.connect(lambda _i: self.export_action.setEnabled(
            hasattr(self.tabs.currentWidget(), "export_source")))
        self.export_action.setEnabled(hasattr(self.tabs.currentWidget(), "export_source"))
        action(view, tr("Close tab"), "Ctrl+W", lambda: self.close_tab(self.tabs.currentIndex()))
        if controller.may("customer.statement_print"):
            self.batch_action = action(view, tr("Print statements for my customers..."), "Ctrl+Shift+P",
                                       self.print_statements)
        lang_menu = self.menuBar().addMenu(tr("&Language"))
        for code, name in LANGUAGES.items():
            act = QAction(name, self)
            act.setCheckable(True)
            act.setChecked(code == current_language())  # the language in use, marked
            act.triggered.connect(lambda _c=False, code=code: self.language_requested.emit(code))
            lang_menu.addAction(act)
        help_menu = self.menuBar().addMenu(tr("&Help"))
        keys = QAction(tr("Keyboard shortcuts"), self)
        keys.triggered.connect(self.show_shortcuts)
        help_menu.addAction(keys)
        self.user_label = QLabel(f"{me.user.display_name} · {label('role', me.user.role)}")
        self.org_label = QLabel(me.org.name)
        self.server_label = QLabel(controller.api.base_url)
        #: plain http:// (the client allows it to this computer only): said for as long as it lasts
        self.unencrypted_label: QLabel | None = None
        if not controller.api.encrypted:
            self.unencrypted_label = QLabel(tr("Not encrypted"))
            self.unencrypted_label.setObjectName("unencrypted")
            self.unencrypted_label.setStyleSheet("color: #b00020; font-weight: bold")
            self.unencrypted_label.setToolTip(tr(
                "The connection to the server is plain HTTP: what is sent and received is not encrypted. The client "
                "allows this only to a server on this computer; any other server needs its https:// address."))
        for w in (self.unencrypted_label, self.user_label, self.org_label, self.server_label):
            if w is not None:
                self.statusBar().addPermanentWidget(w)
        controller.session_ended.connect(self.session_ended)

    def _approvals_counted(self) -> None:
        if self.approvals is not None:
            self.tabs.setTabText(self.tabs.indexOf(self.approvals), self.approvals.title())

    def tab_titles(self) -> list[str]:
        return [self.tabs.tabText(i) for i in range(self.tabs.count())]

    def open_customer(self, customer_id: int | None) -> CustomerProfileForm:
        for i in range(self.tabs.count()):
            w = self.tabs.widget(i)
            if customer_id is not None and isinstance(w, CustomerProfileForm) and w.customer_id == customer_id:
                self.tabs.setCurrentIndex(i)
                return w
        form = CustomerProfileForm(self.controller, customer_id)
        index = self.tabs.addTab(form, tr("New customer") if customer_id is None else tr("Loading..."))
        form.title_changed.connect(lambda title, f=form: self.tabs.setTabText(self.tabs.indexOf(f), title))
        self.tabs.setCurrentIndex(index)
        return form

    def open_archive(self) -> ArchiveView | None:
        """View menu: the deleted customers, in a tab of their own (closed like a customer's)."""
        if not self.controller.may("customer.archive_read"):
            return None
        if self.archive is None or self.tabs.indexOf(self.archive) < 0:
            self.archive = ArchiveView(self.controller)
            self.tabs.addTab(self.archive, tr("Deleted customers"))
        self.tabs.setCurrentWidget(self.archive)
        return self.archive

    def forms(self) -> list[CustomerProfileForm]:
        return [w for i in range(self.tabs.count()) if isinstance(w := self.tabs.widget(i), CustomerProfileForm)]

    def close_tab(self, index: int) -> None:
        w = self.tabs.widget(index)
        if isinstance(w, ArchiveView):
            self.tabs.removeTab(index)
            return
        if not isinstance(w, CustomerProfileForm):  # the home tabs stay
            return
        if not w.confirm_close():
            return
        self.tabs.removeTab(index)

    def find_customer(self) -> None:
        """Ctrl+F: the search box, its text selected for the next customer."""
        if self.search is not None:
            self.tabs.setCurrentWidget(self.search)
            self.search.query.setFocus()
            self.search.query.selectAll()

    def refresh_current(self) -> None:
        """F5: the current tab asks the server again (a profile only without unsaved edits)."""
        w = self.tabs.currentWidget()
        if isinstance(w, CustomerSearchView):
            w.search_now()
        elif isinstance(w, CustomerProfileForm):
            w.reload_if_unchanged()
        elif isinstance(w, (StaffView, ApprovalsView, AuditView, ArchiveView)):
            w.refresh()

    def export_current(self, target: tuple[Path, ExportFormat] | None = None) -> ExportRun | None:
        """Ctrl+E: the current tab's list to XLSX or CSV, as shown (`target`: the file and
        format, else asked for)."""
        source_of = getattr(self.tabs.currentWidget(), "export_source", None)
        if source_of is None:
            self.statusBar().showMessage(tr("This tab holds no list to export"), 10000)
            return None
        source = source_of()
        target = target or ask_export_path(self, source.title)
        if target is None:
            return None
        self.export_run = run_with_progress(self.controller, source, *target, self,
                                            lambda text: self.statusBar().showMessage(text, 30000))
        return self.export_run

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(what, keys) of every shortcut, in the user's language and this platform's keys."""
        rows = [(a.text(), a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
                for a in self.shortcut_actions]
        save = QKeySequence(QKeySequence.StandardKey.Save).toString(QKeySequence.SequenceFormat.NativeText)
        return [*rows, (tr("Save"), save), (tr("Open the customer chosen / the one found"), tr("Enter")),
                (tr("From the search box into the results"), tr("Down arrow")), (tr("Next field"), tr("Tab")),
                (tr("Clear the search box; close a dialog without its changes"), tr("Esc"))]

    def print_statements(self) -> None:
        """A batch of financial statements, printed by the server, saved into a folder."""
        from client.views.finances import BatchStatements
        BatchStatements(self.controller, self).open()

    def set_up_authenticator(self) -> AuthenticatorDialog:
        """Session menu: a new second factor (after the password and the current code),
        its recovery codes shown once; the outcome in the status bar."""
        from client.views.second_factor import AuthenticatorDialog
        bar = self.statusBar()  # (not the window: the dialog it keeps would keep it in turn)
        d = AuthenticatorDialog(self.controller, lambda text: bar.showMessage(text, 15000), self)
        self.authenticator_dialog = d
        d.open()
        return d

    def show_shortcuts(self) -> QMessageBox:
        rows = "".join(f"<tr><td style='padding-right:16px'><b>{html.escape(keys)}</b></td>"
                       f"<td>{html.escape(what)}</td></tr>" for what, keys in self.shortcut_rows())
        box = QMessageBox(QMessageBox.Icon.Information, tr("Keyboard shortcuts"), f"<table>{rows}</table>",
                          QMessageBox.StandardButton.Close, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.open()
        return box

    def request_logout(self) -> None:
        if all(f.confirm_close() for f in self.forms()):
            self.logout_requested.emit()

    def session_ended(self) -> None:
        self.statusBar().showMessage(tr("Your session has ended: log in again; your open forms are kept."))

    def closeEvent(self, event: QCloseEvent) -> None:
        if all(f.confirm_close() for f in self.forms()):
            event.accept()
        else:
            event.ignore()


__all__ = ["MainWindow", "QMessageBox"]
