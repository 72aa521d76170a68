"""The console's forms (Flask-WTF: every one carries the CSRF token), labels in Chinese."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (DateField, DateTimeLocalField, IntegerField, PasswordField, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import TextInput

from db.handoffs import MAX_REPLY, OUTCOMES
from db.registrations import STATUSES
from db.staff_users import MIN_PASSWORD, ROLE_NAMES

REQUIRED = "请填写这一项。"
DAY_HINT = "格式：2026-12-01（年-月-日）"
TIME_HINT = "格式：2026-12-01 14:30（年-月-日 时:分，北京时间）"
# WTForms' own messages, said in Chinese (what is wrong, what to do).
MESSAGES = {"Not a valid integer value.": "请填写整数（只用数字）。",
            "Not a valid choice.": "请从列表里选一项。",
            "Invalid Choice: could not coerce.": "请从列表里选一项。",
            "Invalid choice(s): one or more data inputs could not be coerced.": "请从列表里选。",
            "This field is required.": REQUIRED}


class ChineseMessages:
    """WTForms' translations object: its built-in English messages in Chinese."""

    def gettext(self, string: str) -> str:
        return MESSAGES.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return MESSAGES.get(singular if n == 1 else plural, singular if n == 1 else plural)


class Form(FlaskForm):
    """Every console form: the CSRF token, and WTForms' own messages in Chinese."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: object) -> ChineseMessages:
            return ChineseMessages()


class ParseErrorFirst:
    """Blank is no value (Optional / DataRequired decide); a value that cannot be read gets
    `unreadable` in Chinese, alone (not also "请填写这一项")."""

    process_errors: list
    unreadable = "“{}”看不懂。"

    def process_formdata(self, valuelist: list) -> None:
        text = " ".join(str(v) for v in valuelist).strip() if valuelist else None
        if not text:
            self.data = None  # type: ignore[attr-defined]
            return
        try:
            super().process_formdata([text])  # type: ignore[misc]
        except ValueError:
            self.data = None  # type: ignore[attr-defined]
            raise ValueError(self.unreadable.format(text[:20])) from None

    def pre_validate(self, form: object) -> None:
        if self.process_errors:
            from wtforms.validators import StopValidation
            raise StopValidation()


class WholeNumberField(ParseErrorFirst, IntegerField):
    """An integer; "ten" gets "请填写整数" in Chinese; blank is no number."""

    unreadable = "“{}”不是整数，请只用数字填写。"


class DayField(ParseErrorFirst, DateField):
    """A date typed as "2026-12-01" into a text field (the hint says so: the same in every
    browser and screen reader, unlike the date pickers)."""

    hint = DAY_HINT
    widget = TextInput()
    unreadable = "日期“{}”看不懂，请按“2026-12-01”的格式填写（年-月-日）。"


class MomentField(ParseErrorFirst, DateTimeLocalField):
    """A local date and time typed as "2026-12-01 14:30" ("2026-12-01T14:30" also read)."""

    hint = TIME_HINT
    widget = TextInput()
    unreadable = "时间“{}”看不懂，请按“2026-12-01 14:30”的格式填写（年-月-日 时:分）。"

    def __init__(self, label: str, **kwargs: object) -> None:
        super().__init__(label, format=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"],
                         **kwargs)  # type: ignore[arg-type]


def choices(pairs: object) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[attr-defined]


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired(REQUIRED), Length(max=64)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField("密码", validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("登录")


class UserForm(Form):
    username = StringField("用户名", validators=[DataRequired(REQUIRED), Length(max=64)])
    role = SelectField("角色", choices=choices(ROLE_NAMES.items()))
    password = PasswordField(f"初始密码（至少 {MIN_PASSWORD} 个字符）",
                             validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField("添加账号")


class PasswordForm(Form):
    password = PasswordField(f"新密码（至少 {MIN_PASSWORD} 个字符）",
                             validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField("重设密码")


class ReplyForm(Form):
    text = TextAreaField("回复内容（将通过企业微信发给对方）",
                         validators=[DataRequired(REQUIRED), Length(max=MAX_REPLY)])
    submit = SubmitField("发送回复")


class CloseForm(Form):
    outcome = SelectField("处理结果", choices=choices((o, o) for o in OUTCOMES))
    submit = SubmitField("关闭此转人工")


class StatusForm(Form):
    status = SelectField("新状态", choices=choices((s, s) for s in STATUSES))
    on = DayField("生效日期", validators=[DataRequired("请填写日期（年-月-日）。")])
    note = TextAreaField("备注", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("保存状态")


class PlanForm(Form):
    goal = TextAreaField("就业目标", validators=[DataRequired(REQUIRED), Length(max=2000)])
    responsible = StringField("总负责人", validators=[DataRequired(REQUIRED), Length(max=64)])
    submit = SubmitField("保存计划")


class StepForm(Form):
    due_on = DayField("计划日期", validators=[DataRequired("请填写日期（年-月-日）。")])
    action = TextAreaField("步骤内容", validators=[DataRequired(REQUIRED), Length(max=2000)])
    responsible = StringField("责任人", validators=[DataRequired(REQUIRED), Length(max=64)],
                              id="step-responsible")  # the plan form has its own 总负责人
    submit = SubmitField("添加步骤")


class ActionForm(Form):
    """A button only (mark done, log out, deactivate): the CSRF token is its content."""

    submit = SubmitField("确定")


class VariantForm(Form):
    question = StringField("问法", validators=[DataRequired(REQUIRED), Length(max=200)])
    entry = SelectField("加入到哪一条", choices=[])
    submit = SubmitField("加入问法")


class EntryForm(Form):
    entry_id = StringField("编号（小写英文、数字、连字符，如 grad-support）",
                           validators=[DataRequired(REQUIRED), Length(max=63)])
    title = StringField("标题", validators=[DataRequired(REQUIRED), Length(max=100)])
    audience = SelectField("面向谁", choices=choices((("jobseeker,family", "求职者和家属"),
                                                       ("employer", "用人单位"),
                                                       ("jobseeker,family,employer", "所有人"))))
    questions = TextAreaField("问法（每行一个，至少 5 个不同的问法）",
                              validators=[DataRequired(REQUIRED)])
    answer = TextAreaField("回答（只写政策文件里有的内容）",
                           validators=[DataRequired(REQUIRED), Length(max=450)])
    source = StringField("出处（文件名称和文号）", validators=[DataRequired(REQUIRED)])
    section = StringField("条款", validators=[DataRequired(REQUIRED)])
    period = StringField("适用期", validators=[DataRequired(REQUIRED)])
    submit = SubmitField("检查并发布")
