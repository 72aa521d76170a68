"""The console's forms (Flask-WTF: every one carries the CSRF token), labels in Chinese."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (DateField, PasswordField, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from db.handoffs import MAX_REPLY, OUTCOMES
from db.registrations import STATUSES
from db.staff_users import MIN_PASSWORD, ROLE_NAMES

REQUIRED = "请填写这一项。"


def choices(pairs: object) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[attr-defined]


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(REQUIRED), Length(max=64)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField("密码", validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("登录")


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(REQUIRED), Length(max=64)])
    role = SelectField("角色", choices=choices(ROLE_NAMES.items()))
    password = PasswordField(f"初始密码（至少 {MIN_PASSWORD} 个字符）",
                             validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField("添加账号")


class PasswordForm(FlaskForm):
    password = PasswordField(f"新密码（至少 {MIN_PASSWORD} 个字符）",
                             validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField("重设密码")


class ReplyForm(FlaskForm):
    text = TextAreaField("回复内容（将通过企业微信发给对方）",
                         validators=[DataRequired(REQUIRED), Length(max=MAX_REPLY)])
    submit = SubmitField("发送回复")


class CloseForm(FlaskForm):
    outcome = SelectField("处理结果", choices=choices((o, o) for o in OUTCOMES))
    submit = SubmitField("关闭此转人工")


class StatusForm(FlaskForm):
    status = SelectField("新状态", choices=choices((s, s) for s in STATUSES))
    on = DateField("生效日期", validators=[DataRequired("请填写日期（年-月-日）。")])
    note = TextAreaField("备注", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("保存状态")


class PlanForm(FlaskForm):
    goal = TextAreaField("就业目标", validators=[DataRequired(REQUIRED), Length(max=2000)])
    responsible = StringField("总负责人", validators=[DataRequired(REQUIRED), Length(max=64)])
    submit = SubmitField("保存计划")


class StepForm(FlaskForm):
    due_on = DateField("计划日期", validators=[DataRequired("请填写日期（年-月-日）。")])
    action = TextAreaField("步骤内容", validators=[DataRequired(REQUIRED), Length(max=2000)])
    responsible = StringField("责任人", validators=[DataRequired(REQUIRED), Length(max=64)])
    submit = SubmitField("添加步骤")


class ActionForm(FlaskForm):
    """A button only (mark done, log out, deactivate): the CSRF token is its content."""

    submit = SubmitField("确定")


class VariantForm(FlaskForm):
    question = StringField("问法", validators=[DataRequired(REQUIRED), Length(max=200)])
    entry = SelectField("加入到哪一条", choices=[])
    submit = SubmitField("加入问法")


class EntryForm(FlaskForm):
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
