"""The forms of the bookings and events pages (Flask-WTF: each carries the CSRF token)."""

from __future__ import annotations

from wtforms import (BooleanField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from bot.admin.forms import REQUIRED, DayField, Form, MomentField, WholeNumberField, choices
from db.events import KINDS
from db.slots import MAX_CAPACITY, MAX_MINUTES, WEEKDAYS

WHEN = "请填写日期和时间。"
MINUTES = f"请填写 1 到 {MAX_MINUTES} 之间的整数。"
SEATS = f"请填写 1 到 {MAX_CAPACITY} 之间的整数。"
DAY_NAMES = dict(zip(WEEKDAYS, ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六",
                                "星期日")))


class ServiceForm(Form):
    code = StringField("编号（小写英文和连字符，如 job-club；添加后不能改）",
                       validators=[Optional(), Length(max=32)])
    name = StringField("服务名称", validators=[DataRequired(REQUIRED), Length(max=64)])
    description = TextAreaField("服务内容", validators=[Optional(), Length(max=2000)])
    audience = StringField("面向谁", validators=[Optional(), Length(max=500)])
    modes = StringField("办理方式（在窗口、上门、电话、视频，用顿号分开）",
                        validators=[Optional(), Length(max=64)])
    place = StringField("地点", validators=[Optional(), Length(max=500)])
    accessibility = StringField("无障碍条件", validators=[Optional(), Length(max=500)])
    bring = StringField("请带上", validators=[Optional(), Length(max=500)])
    source = StringField("依据（文件和条款）", validators=[Optional(), Length(max=255)])
    keywords = StringField("聊天里的叫法（用顿号分开）", validators=[Optional(), Length(max=255)])
    submit = SubmitField("保存服务")


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes in a list: each one labelled, reachable with Tab, ticked with Space."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SlotForm(Form):
    service = SelectField("服务", coerce=int, choices=[])
    start = MomentField("开始时间（第一次）", validators=[DataRequired(WHEN)])
    minutes = WholeNumberField("时长（分钟）", default=60, validators=[
        DataRequired(REQUIRED), NumberRange(1, MAX_MINUTES, MINUTES)])
    capacity = WholeNumberField("名额（人）", default=5, validators=[
        DataRequired(REQUIRED), NumberRange(1, MAX_CAPACITY, SEATS)])
    place = StringField("地点", validators=[DataRequired(REQUIRED), Length(max=200)])
    weekly = MultiCheckboxField("每周重复（不选则只加这一次）",
                                choices=choices(DAY_NAMES.items()), validators=[Optional()])
    until = DayField("重复到哪一天（含）", validators=[Optional()])
    submit = SubmitField("添加时段")


class ReasonForm(Form):
    reason = StringField("取消原因（会发给已预约或已报名的人）",
                         validators=[DataRequired(REQUIRED), Length(max=300)])
    urgent = BooleanField("紧急：取消通知在夜间免打扰时段也发送")
    submit = SubmitField("取消并通知")


class EventForm(Form):
    kind = SelectField("活动类型", choices=choices((k, k) for k in KINDS))
    title = StringField("活动名称", validators=[DataRequired(REQUIRED), Length(max=200)])
    start_at = MomentField("开始时间", validators=[DataRequired(WHEN)])
    end_at = MomentField("结束时间（可不填）", validators=[Optional()])
    place = StringField("地点（没有线上链接时必填）", validators=[Optional(), Length(max=200)])
    accessibility = StringField("无障碍条件（坡道、电梯、手语翻译等）",
                                validators=[Optional(), Length(max=300)])
    online_url = StringField("线上参加的链接", validators=[Optional(), Length(max=500)])
    organiser = StringField("主办单位", validators=[Optional(), Length(max=200)])
    audience = StringField("面向谁", validators=[Optional(), Length(max=200)])
    capacity = WholeNumberField("名额（不填为不限）", validators=[
        Optional(), NumberRange(1, 100000, "名额至少 1 人；不限名额请留空。")])
    deadline_at = MomentField("报名截止时间（可不填）", validators=[Optional()])
    employers_allowed = BooleanField("用人单位可以报名参加招聘（只限招聘会）")
    urgent = BooleanField("紧急：已发布的活动有变化时，夜间免打扰时段也发送通知")
    submit = SubmitField("保存活动")


class PublishForm(Form):
    urgent = BooleanField("紧急：发布通知在夜间免打扰时段也发送")
    submit = SubmitField("发布并通知订阅的人")
