"""The directory: departments, who sits where, member profiles and search, external contacts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from lakeside.api.deps import ServicesDep, UserDep
from lakeside.api.schemas import ERRORS, Ok, Strict
from lakeside.api.views import AfterQuery, IdPath
from lakeside.domain.inputs import MAX_ID, Id, Int32, Text

router = APIRouter(prefix="/api/v1/orgs/{org_id}", tags=["directory"], responses=ERRORS)


class DepartmentIn(Strict):
    name: str = Field(max_length=256, examples=["研发中心"])
    parent_id: Id | None = Field(default=None, description="Null: a top-level department.")
    sort_order: Int32 = 0


class DepartmentPatch(Strict):
    name: str | None = Field(default=None, max_length=256)
    parent_id: Id | None = Field(default=None, description="Move below this department; null: to the top.")
    sort_order: Int32 | None = None


class DepartmentOut(BaseModel):
    id: int
    organization_id: int
    parent_id: int | None
    name: str
    depth: int
    sort_order: int
    member_count: int
    leader_ids: list[int]
    conversation_id: int | None = Field(description="The department's group.")


class SeatIn(Strict):
    is_leader: bool = False


class DepartmentsIn(Strict):
    department_ids: list[Id] = Field(max_length=100)
    leader_of: list[Id] = Field(default_factory=list, max_length=100)


class SeatOut(BaseModel):
    id: int
    name: str
    is_leader: bool


class MemberOut(BaseModel):
    user_id: int
    username: str
    name: str
    display_name: str
    avatar_url: str | None
    role: str
    status: str
    title: str | None
    employee_no: str | None
    work_phone: str | None = Field(description="Null when hidden (except for admins and the person).")
    hide_phone: bool
    email: str | None = Field(description="Shown to admins and the person only.")
    departments: list[SeatOut]
    joined_at: int


class MemberPage(BaseModel):
    members: list[MemberOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null at the end.")


class MemberPatch(Strict):
    name: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=256)
    employee_no: str | None = Field(default=None, max_length=64)
    work_phone: str | None = Field(default=None, max_length=32)
    hide_phone: bool | None = None


class ContactIn(Strict):
    name: str = Field(max_length=256)
    company: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=256)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)
    tags: list[str] = Field(default_factory=list, max_length=20)
    note: str | None = Field(default=None, max_length=1024)


class ContactPatch(Strict):
    name: str | None = Field(default=None, max_length=256)
    company: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=256)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)
    tags: list[str] | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=1024)


class ContactOut(BaseModel):
    id: int
    organization_id: int
    name: str
    company: str
    title: str
    phone: str | None
    email: str | None
    tags: list[str]
    note: str
    created_by: int | None
    created_at: int
    updated_at: int


class ContactPage(BaseModel):
    contacts: list[ContactOut]
    next_after: int | None


# -- departments ------------------------------------------------------------------------------------


@router.get("/departments", response_model=list[DepartmentOut])
async def list_departments(org_id: IdPath, user: UserDep, services: ServicesDep) -> list[DepartmentOut]:
    """Every department, parents before children (build the tree from ``parent_id``)."""
    return [
        DepartmentOut(**row) for row in await services.enterprise.directory.list_departments(user, org_id)
    ]


@router.post("/departments", status_code=status.HTTP_201_CREATED, response_model=DepartmentOut)
async def create_department(
    org_id: IdPath, body: DepartmentIn, user: UserDep, services: ServicesDep
) -> DepartmentOut:
    """Create a department (admins); its group is created with it."""
    row = await services.enterprise.directory.do_create_department(
        user, org_id, name=body.name, parent_id=body.parent_id, sort_order=body.sort_order
    )
    return DepartmentOut(**row)


@router.patch("/departments/{department_id}", response_model=DepartmentOut)
async def update_department(
    org_id: IdPath, department_id: IdPath, body: DepartmentPatch, user: UserDep, services: ServicesDep
) -> DepartmentOut:
    """Rename, reorder or move a department with everything below it (admins)."""
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "sort_order"):
        if field in changes and changes[field] is None:
            del changes[field]
    return DepartmentOut(
        **await services.enterprise.directory.do_update_department(user, org_id, department_id, changes)
    )


@router.delete("/departments/{department_id}", response_model=Ok)
async def delete_department(
    org_id: IdPath, department_id: IdPath, user: UserDep, services: ServicesDep
) -> Ok:
    """Delete an empty department (no people, no sub-departments)."""
    await services.enterprise.directory.do_delete_department(user, org_id, department_id)
    return Ok()


@router.get("/departments/{department_id}/members", response_model=list[MemberOut])
async def list_department_members(
    org_id: IdPath, department_id: IdPath, user: UserDep, services: ServicesDep
) -> list[MemberOut]:
    """The people sitting directly in a department."""
    rows = await services.enterprise.directory.list_department_members(user, org_id, department_id)
    return [MemberOut(**row) for row in rows]


@router.put("/departments/{department_id}/members/{user_id}", response_model=MemberOut)
async def seat_member(
    org_id: IdPath, department_id: IdPath, user_id: IdPath, body: SeatIn, user: UserDep, services: ServicesDep
) -> MemberOut:
    """Put a member in a department, or change whether they lead it (admins)."""
    row = await services.enterprise.directory.do_seat(
        user, org_id, department_id, user_id, is_leader=body.is_leader
    )
    return MemberOut(**row)


@router.delete("/departments/{department_id}/members/{user_id}", response_model=Ok)
async def unseat_member(
    org_id: IdPath, department_id: IdPath, user_id: IdPath, user: UserDep, services: ServicesDep
) -> Ok:
    """Take a member out of a department (and its group)."""
    await services.enterprise.directory.do_unseat(user, org_id, department_id, user_id)
    return Ok()


# -- members ----------------------------------------------------------------------------------------


@router.get("/members", response_model=MemberPage)
async def search_members(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    q: Annotated[
        Text | None, Query(max_length=64, description="Name, pinyin, initials, username, department.")
    ] = None,
    department_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only people in this department or below it.")
    ] = None,
    include_deactivated: Annotated[bool, Query(description="Admins: list deactivated members too.")] = False,
    after: AfterQuery = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MemberPage:
    """The directory: everyone, or a search (``zs``, ``zhangsan`` and ``张三`` all find 张三)."""
    rows, next_after = await services.enterprise.directory.search_members(
        user,
        org_id,
        query=q,
        department_id=department_id,
        include_deactivated=include_deactivated,
        after_user_id=after,
        limit=limit,
    )
    return MemberPage(members=[MemberOut(**row) for row in rows], next_after=next_after)


@router.get("/members/{user_id}", response_model=MemberOut)
async def get_member(org_id: IdPath, user_id: IdPath, user: UserDep, services: ServicesDep) -> MemberOut:
    """A colleague's profile."""
    return MemberOut(**await services.enterprise.directory.get_member(user, org_id, user_id))


@router.patch("/members/{user_id}", response_model=MemberOut)
async def update_member(
    org_id: IdPath, user_id: IdPath, body: MemberPatch, user: UserDep, services: ServicesDep
) -> MemberOut:
    """Edit a profile: admins every field; a member their own work phone and ``hide_phone``."""
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "hide_phone"):
        if field in changes and changes[field] is None:
            del changes[field]
    return MemberOut(**await services.enterprise.directory.do_update_member(user, org_id, user_id, changes))


@router.put("/members/{user_id}/departments", response_model=MemberOut)
async def set_member_departments(
    org_id: IdPath, user_id: IdPath, body: DepartmentsIn, user: UserDep, services: ServicesDep
) -> MemberOut:
    """Set every department a member sits in at once; a move is one call (admins)."""
    row = await services.enterprise.directory.do_set_departments(
        user, org_id, user_id, department_ids=body.department_ids, leader_of=body.leader_of
    )
    return MemberOut(**row)


# -- external contacts ------------------------------------------------------------------------------


@router.get("/contacts", response_model=ContactPage)
async def list_contacts(
    org_id: IdPath,
    user: UserDep,
    services: ServicesDep,
    q: Annotated[Text | None, Query(max_length=64)] = None,
    tag: Annotated[Text | None, Query(max_length=32)] = None,
    after: AfterQuery = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ContactPage:
    """The organization's external contacts, optionally searched or filtered by a tag."""
    rows, next_after = await services.enterprise.contacts.list_contacts(
        user, org_id, query=q, tag=tag, after_id=after, limit=limit
    )
    return ContactPage(contacts=[ContactOut(**row) for row in rows], next_after=next_after)


@router.post("/contacts", status_code=status.HTTP_201_CREATED, response_model=ContactOut)
async def create_contact(org_id: IdPath, body: ContactIn, user: UserDep, services: ServicesDep) -> ContactOut:
    """Add an external contact (admins)."""
    return ContactOut(**await services.enterprise.contacts.do_create_contact(user, org_id, body.model_dump()))


@router.get("/contacts/{contact_id}", response_model=ContactOut)
async def get_contact(org_id: IdPath, contact_id: IdPath, user: UserDep, services: ServicesDep) -> ContactOut:
    """One external contact."""
    return ContactOut(**await services.enterprise.contacts.get_contact(user, org_id, contact_id))


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
async def update_contact(
    org_id: IdPath, contact_id: IdPath, body: ContactPatch, user: UserDep, services: ServicesDep
) -> ContactOut:
    """Edit an external contact (admins)."""
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        del changes["name"]
    return ContactOut(
        **await services.enterprise.contacts.do_update_contact(user, org_id, contact_id, changes)
    )


@router.delete("/contacts/{contact_id}", response_model=Ok)
async def delete_contact(org_id: IdPath, contact_id: IdPath, user: UserDep, services: ServicesDep) -> Ok:
    """Delete an external contact (admins)."""
    await services.enterprise.contacts.do_delete_contact(user, org_id, contact_id)
    return Ok()
